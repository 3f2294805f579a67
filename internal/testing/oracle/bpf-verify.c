// SPDX-License-Identifier: MIT
// bpf-verify: load one raw eBPF program through this machine's kernel and
// report the verifier's verdict. Own code (tcbpf), not derived from kernel or
// libbpf sources. Used by internal/testing/src/verify-oracle.ts.
//
// stdin (text, one directive per line):
//   type <prog_type>          (default 3 = SCHED_CLS)
//   level <log_level>         (default 1)
//   flags <prog_flags>        (default 0)
//   license <string>          (default GPL)
//   map <type> <key> <value> <max> <flags>   (maps are created in order; index i)
//   insns <hex bytes>         (struct bpf_insn records, little-endian)
// LD_IMM64 with src 1/2 (MAP_FD / MAP_VALUE) whose imm is a map index < number
// of maps is patched to that map's real fd before loading.
// stdout: one line each: errno <n> (errno of a load with log_level 0, i.e.
// without log-buffer effects), logerrno <n>, insns <verified_insns or -1>,
// then "log" and the log text of the load at the requested level.
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_SIZE (16u << 20)

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int main(void) {
  static char line[1 << 24];
  unsigned type = 3, level = 1, flags = 0;
  char license[128] = "GPL";
  int mapfd[64];
  int nmaps = 0;
  unsigned char *insns = NULL;
  size_t nbytes = 0;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (strncmp(line, "type ", 5) == 0) type = strtoul(line + 5, NULL, 0);
    else if (strncmp(line, "level ", 6) == 0) level = strtoul(line + 6, NULL, 0);
    else if (strncmp(line, "flags ", 6) == 0) flags = strtoul(line + 6, NULL, 0);
    else if (strncmp(line, "license ", 8) == 0) snprintf(license, sizeof license, "%.127s", line + 8);
    else if (strncmp(line, "map ", 4) == 0) {
      unsigned mt, ks, vs, me, mf;
      if (sscanf(line + 4, "%u %u %u %u %u", &mt, &ks, &vs, &me, &mf) != 5 || nmaps >= 64) {
        fprintf(stderr, "bad map line\n");
        return 2;
      }
      union bpf_attr a;
      memset(&a, 0, sizeof a);
      a.map_type = mt;
      a.key_size = ks;
      a.value_size = vs;
      a.max_entries = me;
      a.map_flags = mf;
      int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
      if (fd < 0) {
        fprintf(stderr, "map create failed: %s\n", strerror(errno));
        return 3;
      }
      mapfd[nmaps++] = fd;
    } else if (strncmp(line, "insns ", 6) == 0) {
      const char *p = line + 6;
      size_t len = strlen(p);
      insns = calloc(len / 2 + 8, 1);
      nbytes = 0;
      for (size_t i = 0; i + 1 < len; i += 2) {
        int h = hexval(p[i]), l = hexval(p[i + 1]);
        if (h < 0 || l < 0) {
          fprintf(stderr, "bad hex\n");
          return 2;
        }
        insns[nbytes++] = (unsigned char)(h << 4 | l);
      }
    }
  }
  if (!insns) insns = calloc(8, 1);
  size_t cnt = nbytes / 8;
  for (size_t i = 0; i + 1 < cnt; i++) {
    unsigned char *r = insns + i * 8;
    unsigned src = r[1] >> 4;
    if (r[0] == 0x18 && (src == 1 || src == 2)) {
      int32_t imm;
      memcpy(&imm, r + 4, 4);
      if (imm >= 0 && imm < nmaps) {
        imm = mapfd[imm];
        memcpy(r + 4, &imm, 4);
      }
      i++;
    }
  }
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = type;
  a.insns = (uintptr_t)insns;
  a.insn_cnt = (uint32_t)cnt;
  a.license = (uintptr_t)license;
  a.prog_flags = flags;
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  int err0 = fd < 0 ? errno : 0;
  long vinsns = -1;
  if (fd >= 0) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    union bpf_attr g;
    memset(&g, 0, sizeof g);
    g.info.bpf_fd = fd;
    g.info.info_len = sizeof info;
    g.info.info = (uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &g) == 0) vinsns = info.verified_insns;
    close(fd);
  }
  char *log = calloc(LOG_SIZE, 1);
  int err1 = 0;
  if (level != 0) {
    memset(&a, 0, sizeof a);
    a.prog_type = type;
    a.insns = (uintptr_t)insns;
    a.insn_cnt = (uint32_t)cnt;
    a.license = (uintptr_t)license;
    a.prog_flags = flags;
    a.log_level = level;
    a.log_buf = (uintptr_t)log;
    a.log_size = LOG_SIZE;
    int fd1 = (int)sys_bpf(BPF_PROG_LOAD, &a);
    err1 = fd1 < 0 ? errno : 0;
    if (fd1 >= 0) close(fd1);
  }
  printf("errno %d\nlogerrno %d\ninsns %ld\nlog\n%s", err0, err1, vinsns, log);
  return 0;
}
