// Valid: reads a packet byte at a variable, masked offset with a re-check.
#include "common.h"
SEC("tc")
int var_offset(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  __u32 idx = skb->hash & 0x3f;
  __u8 *p = (__u8 *)data + idx;
  if (p + 1 > (__u8 *)end) return TC_ACT_OK;
  skb->mark = *p;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
