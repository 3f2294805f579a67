// Valid: a loop bounded by a constant, over checked packet bytes.
#include "common.h"
SEC("tc")
int bounded_loop(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  __u8 *p = data;
  __u32 sum = 0;
  if (p + 32 > (__u8 *)end) return TC_ACT_OK;
#pragma clang loop unroll(disable)
  for (int i = 0; i < 32; i++) {
    sum += p[i];
    asm volatile("" : "+r"(sum));
  }
  skb->mark = sum;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
