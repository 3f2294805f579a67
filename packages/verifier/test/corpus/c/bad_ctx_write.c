// Bug: writes a read-only __sk_buff field.
#include "common.h"
SEC("tc")
int bad_ctx_write(struct __sk_buff *skb) {
  skb->priority = 3;
  skb->len = 60;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
