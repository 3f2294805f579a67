// Bug: indexes a map value with an unchecked index.
#include "common.h"
// map table 2 4 64 1
struct entry { __u8 b[64]; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, struct entry); } table SEC(".maps");
SEC("tc")
int map_oob(struct __sk_buff *skb) {
  __u32 key = 0;
  struct entry *e = bpf_map_lookup_elem(&table, &key);
  if (!e) return TC_ACT_OK;
  __u32 i = skb->hash & 0x7f;
  return e->b[i];
}
char _license[] SEC("license") = "GPL";
