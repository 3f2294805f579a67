import { NLM_F, RTM, TCA, TCA_BPF } from '@tcbpf/uapi';
import {
  BPF_POLICY, ExtAck, NlWriter, RTM_TCA_POLICY, formatStream, netlinkAck, netlinkAckError, nlmsgEnd, nlmsgParse, nlmsgPut, putTcmsg, splitMessages, tcFilterInfo,
} from '@tcbpf/netlink';

// 1. Build the request `tc filter add dev <3> ingress prio 1 bpf bytecode '1,6 0 0 0,' classid 1:1` sends.
const w = new NlWriter();
const start = nlmsgPut(w, RTM.NEWTFILTER, NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, 1, 0);
putTcmsg(w, { family: 0, ifindex: 3, handle: 0, parent: 0xfffffff2, info: tcFilterInfo(1, 0x0003) });
w.string(TCA.KIND, 'bpf');
const opts = w.nestStart(TCA.OPTIONS);
w.u32(TCA_BPF.CLASSID, 0x10001);
w.u16(TCA_BPF.OPS_LEN, 1);
w.attr(TCA_BPF.OPS, new Uint8Array([6, 0, 0, 0, 0, 0, 0, 0])); // ret #0
w.nestEnd(opts);
nlmsgEnd(w, start);
const request = w.finish();

// 2. Receive it the way the kernel does: split the datagram, check the policies.
for (const msg of splitMessages(request, 'kernel')) {
  const ext = new ExtAck(); // the request's extack
  try {
    const tb = nlmsgParse(msg.bytes, 0, 20, RTM_TCA_POLICY, 'deprecated', ext); // what tc_new_tfilter does
    const bpf = tb.nested(TCA.OPTIONS, BPF_POLICY, 'deprecated', null); // cls_bpf passes a NULL extack
    console.log('classid', bpf.u32(TCA_BPF.CLASSID).toString(16), 'insns', bpf.u16(TCA_BPF.OPS_LEN));
    const ack = netlinkAck(msg.bytes, 0, ext, { portid: 1234, extAck: true });
    console.log(formatStream(ack));
  } catch (e) {
    // a KernelError: errno + the kernel's extack text + the offending attribute's offset
    console.log(formatStream(netlinkAckError(msg.bytes, e, ext, { portid: 1234, extAck: true })));
  }
}

// 3. Print any tc message as a tree.
console.log(formatStream(request));
