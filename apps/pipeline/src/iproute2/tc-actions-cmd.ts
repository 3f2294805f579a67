// Models iproute2 6.1 tc/m_action.c do_action for `tc [-s] [-j [-p]] actions
// ls|list|show action KIND` (tc_act_list_or_flush: an RTM_GETACTION dump with
// TCA_ROOT_FLAGS LARGE_DUMP_ON) and `tc actions get action KIND index N`
// (tc_action_gd), and print_action: `total acts N` then each action, whose
// nests are numbered from 0 in standalone dumps.
import { RTM, TCA_ACT, TCA_ACT_FLAG, TCA_ROOT } from '@tcbpf/uapi';
import { NLM_F } from '@tcbpf/uapi';
import { parseAttrs, type NlWriter } from '@tcbpf/tcf';
import { type Args, UsageError, matches } from './args.js';
import { ACTION_KINDS, actionsJson, nlaU32, printActions, type TcEnv } from './tc-action.js';
import { jsonDocument, type JsonValue } from './json-writer.js';
import type { TcCommand } from './tc.js';

/** The struct tcamsg header (tca_family AF_UNSPEC + 3 pad bytes). */
function tcamsg(w: NlWriter): void {
  w.raw(new Uint8Array(4));
}

/** print_action(): one RTM_*ACTION message. */
function printActionMsg(msg: Uint8Array, env: TcEnv, stats: boolean): string {
  if (msg.length < 20) return '';
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const tb = parseAttrs(msg, 20, Math.min(v.getUint32(0, true), msg.length), TCA_ROOT.MAX);
  const total = tb.has(TCA_ROOT.COUNT) ? nlaU32(tb, TCA_ROOT.COUNT) : 0;
  let s = `total acts ${total}\n`;
  if (!tb.has(TCA_ROOT.TAB)) return s;
  s += printActions(tb.data(TCA_ROOT.TAB), env, stats, true);
  return s;
}

function actionMsgJson(msg: Uint8Array, env: TcEnv, stats: boolean): JsonValue[] {
  if (msg.length < 20) return [];
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const tb = parseAttrs(msg, 20, Math.min(v.getUint32(0, true), msg.length), TCA_ROOT.MAX);
  const out: JsonValue[] = [{ 'total acts': tb.has(TCA_ROOT.COUNT) ? nlaU32(tb, TCA_ROOT.COUNT) : 0 }];
  if (tb.has(TCA_ROOT.TAB)) out.push({ actions: actionsJson(tb.data(TCA_ROOT.TAB), env, stats, true) });
  return out;
}

/** Parse `actions ls|get ...` (the words after `actions`). */
export function parseTcActions(a: Args, env: TcEnv, o: { stats: boolean; json: boolean; pretty: boolean }): TcCommand {
  const cmd = a.take();
  const print = (msgs: readonly Uint8Array[]): string => o.json
    ? jsonDocument(msgs.flatMap((m) => actionMsgJson(m, env, o.stats)), o.pretty)
    : msgs.map((m) => printActionMsg(m, env, o.stats)).join('');
  if (matches(cmd, 'list') || matches(cmd, 'show') || matches(cmd, 'lst')) {
    if (a.more && a.peek() === 'action') a.take();
    const kind = a.take();
    if (ACTION_KINDS[kind] === undefined) throw new UsageError(`bad action ${kind}`, a.lastCol);
    return {
      request: {
        type: RTM.GETACTION, flags: NLM_F.REQUEST | NLM_F.DUMP, body: (w) => {
          tcamsg(w);
          const tab = w.nestStart(TCA_ROOT.TAB);
          const n = w.nestStart(1);
          w.str(TCA_ACT.KIND, kind);
          w.nestEnd(n);
          w.nestEnd(tab);
          const p = w.attrReserve(TCA_ROOT.FLAGS, 8);
          w.setU32(p, TCA_ACT_FLAG.LARGE_DUMP_ON);
          w.setU32(p + 4, TCA_ACT_FLAG.LARGE_DUMP_ON);
        },
      },
      print,
    };
  }
  if (matches(cmd, 'get')) {
    if (a.more && a.peek() === 'action') a.take();
    const kind = a.take();
    if (ACTION_KINDS[kind] === undefined) throw new UsageError(`Error: non existent action: ${kind}`, a.lastCol);
    if (!a.more || !matches(a.peek(), 'index')) throw new UsageError(`Error: no index specified action: ${kind}`, a.col);
    a.take();
    const s = a.take();
    const index = Number(s);
    if (!/^[0-9]+$/.test(s) || index > 0xffffffff) throw new UsageError('Illegal "index"', a.lastCol);
    return {
      request: {
        type: RTM.GETACTION, flags: NLM_F.REQUEST, body: (w) => {
          tcamsg(w);
          const tab = w.nestStart(TCA_ROOT.TAB);
          const n = w.nestStart(1);
          w.str(TCA_ACT.KIND, kind);
          if (index > 0) w.u32(TCA_ACT.INDEX, index);
          w.nestEnd(n);
          w.nestEnd(tab);
        },
      },
      print,
    };
  }
  throw new UsageError(`Command "${cmd}" is unknown, try "tc actions help".`, a.lastCol);
}
