// Bug: uses a packet pointer after bpf_skb_store_bytes() invalidated it.
#include "common.h"
SEC("tc")
int stale_pkt(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return TC_ACT_OK;
  __u8 mac[6] = {2, 0, 0, 0, 0, 1};
  bpf_skb_store_bytes(skb, 0, mac, 6, 0);
  return eth->h_source[0] == 2 ? TC_ACT_OK : TC_ACT_SHOT;
}
char _license[] SEC("license") = "GPL";
