// Valid: rewrites the destination MAC with bpf_skb_store_bytes and re-checks after the call, then redirects.
#include "common.h"
SEC("tc")
int rewrite_ok(struct __sk_buff *skb) {
  __u8 mac[6] = {2, 0, 0, 0, 0, 1};
  if (bpf_skb_store_bytes(skb, 0, mac, 6, BPF_F_RECOMPUTE_CSUM) < 0) return TC_ACT_SHOT;
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return TC_ACT_SHOT;
  if (eth->h_dest[0] != 2) return TC_ACT_SHOT;
  return bpf_redirect(skb->ifindex, 0);
}
char _license[] SEC("license") = "GPL";
