// Bug: dereferences a hash map lookup result without a NULL check.
#include "common.h"
// map flows 1 4 8 1024
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, __u32); __type(value, __u64); } flows SEC(".maps");
SEC("tc")
int missing_null(struct __sk_buff *skb) {
  __u32 key = skb->hash;
  __u64 *v = bpf_map_lookup_elem(&flows, &key);
  return *v > 10 ? TC_ACT_SHOT : TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
