// Suspicious: updates a map with a partially initialised stack value (root may read uninitialised stack).
#include "common.h"
// map stats 1 4 16 64
struct val { __u64 a; __u64 b; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, struct val); } stats SEC(".maps");
SEC("tc")
int uninit_stack(struct __sk_buff *skb) {
  struct val v;
  __u32 key = skb->ifindex;
  v.a = skb->len;
  bpf_map_update_elem(&stats, &key, &v, BPF_ANY);
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
