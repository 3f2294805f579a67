#!/usr/bin/env node
// Generates packages/uapi/src/{netlink,rtnetlink,pkt-cls,pkt-sched,tc-act,gen-stats}.ts
// from the machine's UAPI headers (/usr/include/linux/*.h, package linux-libc-dev):
// the names are listed below, the VALUES come from the C compiler, so nothing is
// transcribed by hand. Run: node packages/uapi/scripts/gen-netlink-uapi.js
// Needs gcc (or cc). Interface facts only (numbers and names), no kernel code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'src');

// Names newer than the installed headers (Debian 12 ships 6.1 UAPI headers): the
// value is the Linux 6.18 one, given literally and marked in the output.
const LATER = 'not in the installed 6.1 headers: Linux 6.18 value';
const seq = (prefix, names) => names.map((n) => [n, `${prefix}${n}`]);

/** file -> { headers, doc, groups: [exportName, doc, [[key, cExpr]...]] } */
const FILES = {
  'netlink.ts': {
    headers: ['linux/netlink.h', 'linux/genetlink.h'],
    models: 'include/uapi/linux/netlink.h',
    groups: [
      ['NETLINK_PROTO', 'Netlink protocol families used here (socket(AF_NETLINK, SOCK_RAW, proto)).', seq('NETLINK_', ['ROUTE', 'GENERIC'])],
      ['NLM_F', 'nlmsghdr.nlmsg_flags bits. GET/NEW/DELETE/ACK modifiers share bit values.', seq('NLM_F_', ['REQUEST', 'MULTI', 'ACK', 'ECHO', 'DUMP_INTR', 'DUMP_FILTERED', 'ROOT', 'MATCH', 'ATOMIC', 'DUMP', 'REPLACE', 'EXCL', 'CREATE', 'APPEND', 'NONREC', 'BULK', 'CAPPED', 'ACK_TLVS'])],
      ['NLMSG', 'Netlink control message types and framing sizes.', [...seq('NLMSG_', ['NOOP', 'ERROR', 'DONE', 'OVERRUN', 'MIN_TYPE', 'ALIGNTO', 'HDRLEN']), ['NLA_HDRLEN', 'NLA_HDRLEN'], ['NLA_ALIGNTO', 'NLA_ALIGNTO']]],
      ['NLMSGERR_ATTR', 'Extended-ACK TLVs after struct nlmsgerr.', seq('NLMSGERR_ATTR_', ['UNUSED', 'MSG', 'OFFS', 'COOKIE', 'POLICY', 'MISS_TYPE', 'MISS_NEST', 'MAX'])],
      ['NETLINK_SOCKOPT', 'SOL_NETLINK socket options.', [['SOL_NETLINK', '270'], ...seq('NETLINK_', ['ADD_MEMBERSHIP', 'DROP_MEMBERSHIP', 'PKTINFO', 'BROADCAST_ERROR', 'NO_ENOBUFS', 'LISTEN_ALL_NSID', 'LIST_MEMBERSHIPS', 'CAP_ACK', 'EXT_ACK', 'GET_STRICT_CHK'])]],
      ['NLA_F', 'nlattr.nla_type flag bits and mask.', [['NESTED', 'NLA_F_NESTED'], ['NET_BYTEORDER', 'NLA_F_NET_BYTEORDER'], ['TYPE_MASK', '(NLA_TYPE_MASK & 0xffff)']]],
      ['NL_ATTR_TYPE', 'Attribute types as reported in policy dumps (NLMSGERR_ATTR_POLICY).', [...seq('NL_ATTR_TYPE_', ['INVALID', 'FLAG', 'U8', 'U16', 'U32', 'U64', 'S8', 'S16', 'S32', 'S64', 'BINARY', 'STRING', 'NUL_STRING', 'NESTED', 'NESTED_ARRAY', 'BITFIELD32']), ['SINT', '16', LATER], ['UINT', '17', LATER]]],
      ['NL_POLICY_TYPE_ATTR', 'Attributes of one policy description (NLMSGERR_ATTR_POLICY nest).', seq('NL_POLICY_TYPE_ATTR_', ['UNSPEC', 'TYPE', 'MIN_VALUE_S', 'MAX_VALUE_S', 'MIN_VALUE_U', 'MAX_VALUE_U', 'MIN_LENGTH', 'MAX_LENGTH', 'POLICY_IDX', 'POLICY_MAXTYPE', 'BITFIELD32_MASK', 'PAD', 'MASK'])],
    ],
    structs: [['NLMSGHDR_SIZE', 'sizeof(struct nlmsghdr)'], ['NLMSGERR_SIZE', 'sizeof(struct nlmsgerr)'], ['NLA_BITFIELD32_SIZE', 'sizeof(struct nla_bitfield32)']],
  },
  'rtnetlink.ts': {
    headers: ['linux/rtnetlink.h'],
    models: 'include/uapi/linux/rtnetlink.h',
    groups: [
      ['RTM', 'rtnetlink message types of traffic control (and the link messages tc sends to resolve names).', seq('RTM_', ['NEWLINK', 'DELLINK', 'GETLINK', 'NEWQDISC', 'DELQDISC', 'GETQDISC', 'NEWTCLASS', 'DELTCLASS', 'GETTCLASS', 'NEWTFILTER', 'DELTFILTER', 'GETTFILTER', 'NEWACTION', 'DELACTION', 'GETACTION', 'NEWCHAIN', 'DELCHAIN', 'GETCHAIN', 'BASE', 'MAX'])],
      ['TCA', 'Top-level attributes of tcmsg messages (qdisc, class, filter, chain).', seq('TCA_', ['UNSPEC', 'KIND', 'OPTIONS', 'STATS', 'XSTATS', 'RATE', 'FCNT', 'STATS2', 'STAB', 'PAD', 'DUMP_INVISIBLE', 'CHAIN', 'HW_OFFLOAD', 'INGRESS_BLOCK', 'EGRESS_BLOCK', 'DUMP_FLAGS', 'EXT_WARN_MSG', 'MAX'])],
      ['TCA_DUMP_FLAGS', 'TCA_DUMP_FLAGS bitfield32 bits.', [['TERSE', 'TCA_DUMP_FLAGS_TERSE']]],
      ['TCA_ROOT', 'Top-level attributes of tcamsg (action) messages.', seq('TCA_ROOT_', ['UNSPEC', 'TAB', 'FLAGS', 'COUNT', 'TIME_DELTA', 'EXT_WARN_MSG', 'MAX'])],
      ['TCA_ACT_FLAG', 'TCA_ROOT_FLAGS bitfield32 bits.', [['LARGE_DUMP_ON', 'TCA_ACT_FLAG_LARGE_DUMP_ON'], ['TERSE_DUMP', 'TCA_ACT_FLAG_TERSE_DUMP']]],
      ['RTNLGRP', 'rtnetlink multicast groups used by tc.', [['TC', 'RTNLGRP_TC']]],
      ['TCM_IFINDEX_MAGIC', 'tcm_ifindex value meaning "tcm_parent is a block index".', [['BLOCK', 'TCM_IFINDEX_MAGIC_BLOCK']]],
    ],
    structs: [['TCMSG_SIZE', 'sizeof(struct tcmsg)'], ['TCAMSG_SIZE', 'sizeof(struct tcamsg)'], ['RTGENMSG_SIZE', 'sizeof(struct rtgenmsg)']],
  },
  'pkt-cls.ts': {
    headers: ['linux/pkt_cls.h'],
    models: 'include/uapi/linux/pkt_cls.h',
    groups: [
      ['TCA_ACT', 'Attributes of one action (inside a TCA_ACT_TAB / TCA_*_ACT slot).', [...seq('TCA_ACT_', ['UNSPEC', 'KIND', 'OPTIONS', 'INDEX', 'STATS', 'PAD', 'COOKIE', 'FLAGS', 'HW_STATS', 'USED_HW_STATS', 'IN_HW_COUNT', 'MAX', 'MAX_PRIO']), ['OLD_COMPAT', 'TCA_OLD_COMPAT']]],
      ['TCA_ACT_FLAGS', 'TCA_ACT_FLAGS bitfield32 bits.', seq('TCA_ACT_FLAGS_', ['NO_PERCPU_STATS', 'SKIP_HW', 'SKIP_SW'])],
      ['TCA_ACT_HW_STATS', 'TCA_ACT_HW_STATS bitfield32 bits.', seq('TCA_ACT_HW_STATS_', ['IMMEDIATE', 'DELAYED'])],
      ['TC_COOKIE', 'Action cookie size limit.', [['MAX_SIZE', 'TC_COOKIE_MAX_SIZE']]],
      ['TCA_ID', 'Action kind ids.', seq('TCA_ID_', ['UNSPEC', 'POLICE', 'GACT', 'IPT', 'PEDIT', 'MIRRED', 'NAT', 'XT', 'SKBEDIT', 'VLAN', 'BPF', 'CONNMARK', 'SKBMOD', 'CSUM', 'TUNNEL_KEY', 'SIMP', 'IFE', 'SAMPLE', 'CTINFO', 'MPLS', 'CT', 'GATE'])],
      ['TC_ACT', 'Action verdicts (TC_ACT_*), including the extended opcodes.', [...seq('TC_ACT_', ['UNSPEC', 'OK', 'RECLASSIFY', 'SHOT', 'PIPE', 'STOLEN', 'QUEUED', 'REPEAT', 'REDIRECT', 'TRAP', 'VALUE_MAX', 'EXT_VAL_MASK', 'JUMP', 'GOTO_CHAIN', 'EXT_OPCODE_MAX']), ['EXT_SHIFT', '__TC_ACT_EXT_SHIFT']]],
      ['TCA_POLICE', 'Police action attributes.', seq('TCA_POLICE_', ['UNSPEC', 'TBF', 'RATE', 'PEAKRATE', 'AVRATE', 'RESULT', 'TM', 'PAD', 'RATE64', 'PEAKRATE64', 'PKTRATE64', 'PKTBURST64', 'MAX'])],
      ['TCA_CLS_FLAGS', 'Generic classifier flags (TCA_BPF_FLAGS_GEN and friends).', seq('TCA_CLS_FLAGS_', ['SKIP_HW', 'SKIP_SW', 'IN_HW', 'NOT_IN_HW', 'VERBOSE'])],
      ['TCA_BPF', 'cls_bpf attributes (TCA_OPTIONS of kind "bpf").', seq('TCA_BPF_', ['UNSPEC', 'ACT', 'POLICE', 'CLASSID', 'OPS_LEN', 'OPS', 'FD', 'NAME', 'FLAGS', 'FLAGS_GEN', 'TAG', 'ID', 'MAX'])],
      ['TCA_BPF_FLAG', 'TCA_BPF_FLAGS bits.', [['ACT_DIRECT', 'TCA_BPF_FLAG_ACT_DIRECT']]],
    ],
    structs: [['TC_POLICE_SIZE', 'sizeof(struct tc_police)'], ['TCF_T_SIZE', 'sizeof(struct tcf_t)'], ['TC_GEN_SIZE', '20']],
  },
  'pkt-sched.ts': {
    headers: ['linux/pkt_sched.h'],
    models: 'include/uapi/linux/pkt_sched.h',
    groups: [
      ['TC_H', 'Handle and parent constants.', [...seq('TC_H_', ['MAJ_MASK', 'MIN_MASK', 'UNSPEC', 'ROOT', 'INGRESS', 'CLSACT', 'MIN_PRIORITY', 'MIN_INGRESS', 'MIN_EGRESS'])]],
      ['TC_LINKLAYER', 'tc_ratespec.linklayer values.', seq('TC_LINKLAYER_', ['UNAWARE', 'ETHERNET', 'ATM', 'MASK'])],
      ['TC_RTAB', 'Rate table size.', [['SIZE', '1024']]],
      ['TCA_HTB', 'HTB qdisc/class attributes (TCA_OPTIONS of kind "htb").', seq('TCA_HTB_', ['UNSPEC', 'PARMS', 'INIT', 'CTAB', 'RTAB', 'DIRECT_QLEN', 'RATE64', 'CEIL64', 'PAD', 'OFFLOAD', 'MAX'])],
    ],
    structs: [
      ['TC_RATESPEC_SIZE', 'sizeof(struct tc_ratespec)'], ['TC_ESTIMATOR_SIZE', 'sizeof(struct tc_estimator)'], ['TC_STATS_SIZE', 'sizeof(struct tc_stats)'],
      ['TC_HTB_OPT_SIZE', 'sizeof(struct tc_htb_opt)'], ['TC_HTB_GLOB_SIZE', 'sizeof(struct tc_htb_glob)'], ['TC_HTB_XSTATS_SIZE', 'sizeof(struct tc_htb_xstats)'],
    ],
  },
  'gen-stats.ts': {
    headers: ['linux/gen_stats.h'],
    models: 'include/uapi/linux/gen_stats.h',
    groups: [['TCA_STATS', 'gnet_stats attributes (inside TCA_STATS2 / TCA_ACT_STATS).', seq('TCA_STATS_', ['UNSPEC', 'BASIC', 'RATE_EST', 'QUEUE', 'APP', 'RATE_EST64', 'PAD', 'BASIC_HW', 'PKT64', 'MAX'])]],
    structs: [['GNET_STATS_BASIC_SIZE', 'sizeof(struct gnet_stats_basic)'], ['GNET_STATS_RATE_EST_SIZE', 'sizeof(struct gnet_stats_rate_est)'], ['GNET_STATS_RATE_EST64_SIZE', 'sizeof(struct gnet_stats_rate_est64)'], ['GNET_STATS_QUEUE_SIZE', 'sizeof(struct gnet_stats_queue)']],
  },
  'tc-act.ts': {
    headers: ['linux/pkt_cls.h', 'linux/tc_act/tc_gact.h', 'linux/tc_act/tc_mirred.h'],
    models: 'include/uapi/linux/tc_act/tc_gact.h, tc_mirred.h',
    groups: [
      ['TCA_GACT', 'gact action attributes.', seq('TCA_GACT_', ['UNSPEC', 'TM', 'PARMS', 'PROB', 'PAD', 'MAX'])],
      ['PGACT', 'gact random-verdict types (tc_gact_p.ptype).', [...seq('PGACT_', ['NONE', 'NETRAND', 'DETERM']), ['MAX_RAND', 'MAX_RAND']]],
      ['TCA_MIRRED', 'mirred action attributes.', [...seq('TCA_MIRRED_', ['UNSPEC', 'TM', 'PARMS', 'PAD']), ['BLOCKID', '4', LATER], ['MAX', '4', LATER]]],
      ['TCA_MIRRED_EACTION', 'tc_mirred.eaction values.', [['EGRESS_REDIR', 'TCA_EGRESS_REDIR'], ['EGRESS_MIRROR', 'TCA_EGRESS_MIRROR'], ['INGRESS_REDIR', 'TCA_INGRESS_REDIR'], ['INGRESS_MIRROR', 'TCA_INGRESS_MIRROR']]],
    ],
    structs: [['TC_GACT_SIZE', 'sizeof(struct tc_gact)'], ['TC_GACT_P_SIZE', 'sizeof(struct tc_gact_p)'], ['TC_MIRRED_SIZE', 'sizeof(struct tc_mirred)']],
  },
};

const dir = mkdtempSync(join(tmpdir(), 'tcbpf-uapi-'));
try {
  for (const [file, spec] of Object.entries(FILES)) {
    const lines = ['#include <stdio.h>', '#include <sys/socket.h>', ...spec.headers.map((h) => `#include <${h}>`), 'int main(void) {'];
    for (const [g, , entries] of spec.groups) for (const [k, expr] of entries) lines.push(`  printf("G %s %s %lld\\n", "${g}", "${k}", (long long)(${expr}));`);
    for (const [k, expr] of spec.structs ?? []) lines.push(`  printf("S %s %lld\\n", "${k}", (long long)(${expr}));`);
    lines.push('  return 0;', '}');
    const c = join(dir, 'gen.c');
    writeFileSync(c, lines.join('\n'));
    execFileSync('cc', ['-o', join(dir, 'gen'), c]);
    const out = execFileSync(join(dir, 'gen'), { encoding: 'utf8' }).trim().split('\n');
    const values = new Map();
    for (const l of out) {
      const p = l.split(' ');
      values.set(p[0] === 'G' ? `${p[1]}.${p[2]}` : p[1], Number(p[p.length - 1]));
    }
    const fmt = (v) => (v < 0 ? String(v) : v > 255 ? `0x${v.toString(16)}` : String(v));
    let ts = `// Models ${spec.models} (Linux 6.18 UAPI): constants as data.\n// GENERATED by packages/uapi/scripts/gen-netlink-uapi.js from /usr/include; do not edit by hand.\n`;
    for (const [g, doc, entries] of spec.groups) {
      ts += `\n/** ${doc} */\nexport const ${g} = Object.freeze({\n`;
      for (const [k, , note] of entries) ts += `  ${k}: ${fmt(values.get(`${g}.${k}`))},${note ? ` // ${note}` : ''}\n`;
      ts += '} as const);\n';
    }
    if (spec.structs) {
      ts += '\n/** Struct sizes in bytes (x86-64). */\n';
      for (const [k] of spec.structs) ts += `export const ${k} = ${values.get(k)};\n`;
    }
    writeFileSync(join(outDir, file), ts);
    console.log(`wrote ${file}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
