// Bug: reads the IPv4 header without checking it against data_end.
#include "common.h"
SEC("tc")
int missing_bounds(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  return ip->ttl < 2 ? TC_ACT_SHOT : TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
