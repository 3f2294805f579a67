// Valid: writes the writable __sk_buff fields and cb[].
#include "common.h"
SEC("tc")
int ctx_write_ok(struct __sk_buff *skb) {
  skb->mark = skb->hash ^ 0x5a;
  skb->priority = 3;
  skb->tc_classid = 0x10001;
  skb->cb[0] = skb->len;
  skb->cb[4] = skb->protocol;
  skb->tc_index = 7;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
