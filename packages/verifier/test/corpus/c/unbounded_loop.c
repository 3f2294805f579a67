// Bug: a loop bounded only by skb->len (the verifier cannot prove termination in 1M steps).
#include "common.h"
SEC("tc")
int unbounded_loop(struct __sk_buff *skb) {
  __u32 n = skb->len, sum = 0;
  for (__u32 i = 0; i < n; i++) {
    sum += i;
    asm volatile("" : "+r"(sum));
  }
  skb->mark = sum;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
