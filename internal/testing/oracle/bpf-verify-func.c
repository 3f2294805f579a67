// SPDX-License-Identifier: MIT
// bpf-verify-func: bpf-verify (see bpf-verify.c) plus BTF func_info, so
// programs with callbacks (BPF_PSEUDO_FUNC) and global functions can be loaded.
// Own code (tcbpf), not derived from kernel or libbpf sources. Used by
// internal/testing/src/verify-func-oracle.ts.
//
// Extra directive:
//   func <insn_off> <linkage>   (one per subprogram, in order; linkage 0 static, 1 global)
// A minimal BTF is loaded: [1] int, [2] int (void) FUNC_PROTO, [3+k] FUNC "fk"
// with the given linkage; func_info record k names type 3+k.
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
  unsigned foff[256], flink[256];
  int nfuncs = 0;
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (strncmp(line, "type ", 5) == 0) type = strtoul(line + 5, NULL, 0);
    else if (strncmp(line, "level ", 6) == 0) level = strtoul(line + 6, NULL, 0);
    else if (strncmp(line, "flags ", 6) == 0) flags = strtoul(line + 6, NULL, 0);
    else if (strncmp(line, "license ", 8) == 0) snprintf(license, sizeof license, "%.127s", line + 8);
    else if (strncmp(line, "func ", 5) == 0) {
      if (nfuncs >= 256 || sscanf(line + 5, "%u %u", &foff[nfuncs], &flink[nfuncs]) != 2) {
        fprintf(stderr, "bad func line\n");
        return 2;
      }
      nfuncs++;
    } else if (strncmp(line, "map ", 4) == 0) {
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
  int btf_fd = -1;
  uint32_t finfo[512];
  if (nfuncs > 0) {
    static unsigned char btf[65536];
    uint32_t types[1024];
    int nt = 0;
    char strs[4096];
    size_t sl = 0;
    strs[sl++] = 0;
    uint32_t int_name = (uint32_t)sl;
    memcpy(strs + sl, "int", 4);
    sl += 4;
    types[nt++] = int_name; types[nt++] = 1u << 24; types[nt++] = 4; types[nt++] = (1u << 24) | 32; // INT signed 32
    types[nt++] = 0; types[nt++] = 13u << 24; types[nt++] = 1; // FUNC_PROTO int (void)
    for (int k = 0; k < nfuncs; k++) {
      uint32_t nm = (uint32_t)sl;
      sl += (size_t)snprintf(strs + sl, sizeof strs - sl, "f%d", k) + 1;
      types[nt++] = nm; types[nt++] = (12u << 24) | (flink[k] & 0xffff); types[nt++] = 2; // FUNC
      finfo[k * 2] = foff[k];
      finfo[k * 2 + 1] = (uint32_t)(3 + k);
    }
    uint32_t tl = (uint32_t)(nt * 4);
    uint32_t hdr[6];
    hdr[0] = 0xeB9Fu | (1u << 16); // magic, version 1, flags 0
    hdr[1] = 24;                    // hdr_len
    hdr[2] = 0;                     // type_off
    hdr[3] = tl;                    // type_len
    hdr[4] = tl;                    // str_off
    hdr[5] = (uint32_t)sl;          // str_len
    memcpy(btf, hdr, 24);
    memcpy(btf + 24, types, tl);
    memcpy(btf + 24 + tl, strs, sl);
    union bpf_attr b;
    memset(&b, 0, sizeof b);
    static char blog[65536];
    b.btf = (uintptr_t)btf;
    b.btf_size = (uint32_t)(24 + tl + sl);
    b.btf_log_buf = (uintptr_t)blog;
    b.btf_log_size = sizeof blog;
    b.btf_log_level = 1;
    btf_fd = (int)sys_bpf(BPF_BTF_LOAD, &b);
    if (btf_fd < 0) {
      fprintf(stderr, "BTF load failed: %s\n%s\n", strerror(errno), blog);
      return 3;
    }
  }
#define SET_BTF(x) do { if (nfuncs > 0) { (x).prog_btf_fd = (uint32_t)btf_fd; (x).func_info = (uintptr_t)finfo; (x).func_info_cnt = (uint32_t)nfuncs; (x).func_info_rec_size = 8; } } while (0)
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = type;
  a.insns = (uintptr_t)insns;
  a.insn_cnt = (uint32_t)cnt;
  a.license = (uintptr_t)license;
  a.prog_flags = flags;
  SET_BTF(a);
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
    SET_BTF(a);
    int fd1 = (int)sys_bpf(BPF_PROG_LOAD, &a);
    err1 = fd1 < 0 ? errno : 0;
    if (fd1 >= 0) close(fd1);
  }
  printf("errno %d\nlogerrno %d\ninsns %ld\nlog\n%s", err0, err1, vinsns, log);
  return 0;
}
