// bpf-syscall.c — a line-oriented driver for the bpf() syscall, used as the
// kernel oracle of differential tests (MIT, written for tcbpf).
// Reads one request per line on stdin, writes one response line per request:
//   "ok ..." on success, "err <errno> [<hex of the verifier log>]" on failure.
// Byte strings are lower-case hex, "-" for none. Requests:
//   map_create <type> <key_size> <value_size> <max_entries> <map_flags> <inner_map_fd|-1>   -> ok <fd>
//   map_update <fd> <key> <value> <flags>                                                 -> ok
//   map_lookup <fd> <key> <value_size>                                                    -> ok <value>
//   map_lookup_and_delete <fd> <key> <value_size>                                         -> ok <value>
//   map_delete <fd> <key>                                                                 -> ok
//   map_next <fd> <key|-> <key_size>                                                      -> ok <next key>
//   prog_load <type> <insns> <license> <log_level> [fd_array fds...]                      -> ok <fd> | err <errno> <log>
//   test_run <fd> <data|-> <data_size_out> <ctx|-> <ctx_size_out> <repeat>                -> ok <retval> <duration> <data_out> <ctx_out>
//   prog_info <fd>                                                                        -> ok <tag> <id> <type> <jited_len> <xlated_len> <verified_insns> <run_cnt>
//   map_info <fd>                                                                         -> ok <id> <type> <key> <value> <max> <flags>
//   close <fd>                                                                            -> ok
//   nproc                                                                                 -> ok <possible cpus>
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_SIZE (1 << 20)
static char log_buf[LOG_SIZE];

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode hex into a fresh buffer; "-" gives NULL with *len 0. Returns 0 on bad hex. */
static int unhex(const char *s, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (s == NULL || strcmp(s, "-") == 0) return 1;
  size_t n = strlen(s);
  if (n % 2) return 0;
  uint8_t *b = malloc(n / 2 + 1);
  for (size_t i = 0; i < n / 2; i++) {
    int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
    if (h < 0 || l < 0) { free(b); return 0; }
    b[i] = (uint8_t)(h << 4 | l);
  }
  *out = b;
  *len = n / 2;
  return 1;
}

static void puthex(const uint8_t *b, size_t n) {
  if (n == 0) { fputs("-", stdout); return; }
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static void err_line(int e, const char *log) {
  printf("err %d ", e);
  if (log && *log) puthex((const uint8_t *)log, strlen(log)); else fputs("-", stdout);
  putchar('\n');
}

static char *next_tok(char **save) { return strtok_r(NULL, " \t\r\n", save); }

static void handle(char *line) {
  char *save = NULL;
  char *cmd = strtok_r(line, " \t\r\n", &save);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  if (cmd == NULL) { puts("err 22 -"); return; }
  if (strcmp(cmd, "nproc") == 0) {
    FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
    int lo = 0, hi = 0;
    if (f && fscanf(f, "%d-%d", &lo, &hi) >= 1) { if (hi < lo) hi = lo; }
    if (f) fclose(f);
    printf("ok %d\n", hi + 1);
    return;
  }
  if (strcmp(cmd, "map_create") == 0) {
    a.map_type = strtoul(next_tok(&save), NULL, 0);
    a.key_size = strtoul(next_tok(&save), NULL, 0);
    a.value_size = strtoul(next_tok(&save), NULL, 0);
    a.max_entries = strtoul(next_tok(&save), NULL, 0);
    a.map_flags = strtoul(next_tok(&save), NULL, 0);
    long inner = strtol(next_tok(&save), NULL, 0);
    if (inner >= 0) a.inner_map_fd = (uint32_t)inner;
    long fd = sys_bpf(BPF_MAP_CREATE, &a);
    if (fd < 0) err_line(errno, NULL); else printf("ok %ld\n", fd);
    return;
  }
  if (strcmp(cmd, "map_update") == 0 || strcmp(cmd, "map_lookup") == 0 || strcmp(cmd, "map_delete") == 0 ||
      strcmp(cmd, "map_next") == 0 || strcmp(cmd, "map_lookup_and_delete") == 0) {
    a.map_fd = strtoul(next_tok(&save), NULL, 0);
    uint8_t *key = NULL, *val = NULL;
    size_t klen = 0, vlen = 0;
    if (!unhex(next_tok(&save), &key, &klen)) { puts("err 22 -"); return; }
    a.key = (uint64_t)(uintptr_t)key;
    long r;
    if (strcmp(cmd, "map_update") == 0) {
      if (!unhex(next_tok(&save), &val, &vlen)) { puts("err 22 -"); free(key); return; }
      a.value = (uint64_t)(uintptr_t)val;
      a.flags = strtoull(next_tok(&save), NULL, 0);
      r = sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
      if (r < 0) err_line(errno, NULL); else puts("ok");
    } else if (strcmp(cmd, "map_delete") == 0) {
      r = sys_bpf(BPF_MAP_DELETE_ELEM, &a);
      if (r < 0) err_line(errno, NULL); else puts("ok");
    } else if (strcmp(cmd, "map_next") == 0) {
      size_t ks = strtoul(next_tok(&save), NULL, 0);
      uint8_t *nk = calloc(1, ks + 1);
      a.next_key = (uint64_t)(uintptr_t)nk;
      r = sys_bpf(BPF_MAP_GET_NEXT_KEY, &a);
      if (r < 0) err_line(errno, NULL); else { fputs("ok ", stdout); puthex(nk, ks); putchar('\n'); }
      free(nk);
    } else {
      size_t vs = strtoul(next_tok(&save), NULL, 0);
      uint8_t *out = calloc(1, vs + 1);
      a.value = (uint64_t)(uintptr_t)out;
      r = sys_bpf(strcmp(cmd, "map_lookup") == 0 ? BPF_MAP_LOOKUP_ELEM : BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a);
      if (r < 0) err_line(errno, NULL); else { fputs("ok ", stdout); puthex(out, vs); putchar('\n'); }
      free(out);
    }
    free(key);
    free(val);
    return;
  }
  if (strcmp(cmd, "prog_load") == 0) {
    a.prog_type = strtoul(next_tok(&save), NULL, 0);
    uint8_t *insns = NULL;
    size_t ilen = 0;
    if (!unhex(next_tok(&save), &insns, &ilen)) { puts("err 22 -"); return; }
    char *license = next_tok(&save);
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = (uint32_t)(ilen / 8);
    a.license = (uint64_t)(uintptr_t)(license ? license : "GPL");
    a.log_level = strtoul(next_tok(&save), NULL, 0);
    log_buf[0] = 0;
    if (a.log_level) {
      a.log_buf = (uint64_t)(uintptr_t)log_buf;
      a.log_size = LOG_SIZE;
    }
    int fds[64];
    int nfd = 0;
    char *t;
    while ((t = next_tok(&save)) != NULL && nfd < 64) fds[nfd++] = atoi(t);
    if (nfd) a.fd_array = (uint64_t)(uintptr_t)fds;
    long fd = sys_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0) err_line(errno, log_buf); else printf("ok %ld\n", fd);
    free(insns);
    return;
  }
  if (strcmp(cmd, "test_run") == 0) {
    a.test.prog_fd = strtoul(next_tok(&save), NULL, 0);
    uint8_t *din = NULL, *cin = NULL;
    size_t dlen = 0, clen = 0;
    if (!unhex(next_tok(&save), &din, &dlen)) { puts("err 22 -"); return; }
    size_t dout = strtoul(next_tok(&save), NULL, 0);
    if (!unhex(next_tok(&save), &cin, &clen)) { puts("err 22 -"); free(din); return; }
    size_t cout = strtoul(next_tok(&save), NULL, 0);
    a.test.repeat = strtoul(next_tok(&save), NULL, 0);
    uint8_t *dbuf = calloc(1, dout + 1), *cbuf = calloc(1, cout + 1);
    a.test.data_in = (uint64_t)(uintptr_t)din;
    a.test.data_size_in = (uint32_t)dlen;
    if (dout) { a.test.data_out = (uint64_t)(uintptr_t)dbuf; a.test.data_size_out = (uint32_t)dout; }
    if (clen) { a.test.ctx_in = (uint64_t)(uintptr_t)cin; a.test.ctx_size_in = (uint32_t)clen; }
    if (cout) { a.test.ctx_out = (uint64_t)(uintptr_t)cbuf; a.test.ctx_size_out = (uint32_t)cout; }
    long r = sys_bpf(BPF_PROG_TEST_RUN, &a);
    if (r < 0) err_line(errno, NULL);
    else {
      printf("ok %u %u ", a.test.retval, a.test.duration);
      puthex(dbuf, dout ? a.test.data_size_out : 0);
      putchar(' ');
      puthex(cbuf, cout ? a.test.ctx_size_out : 0);
      putchar('\n');
    }
    free(din); free(cin); free(dbuf); free(cbuf);
    return;
  }
  if (strcmp(cmd, "prog_info") == 0) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    a.info.bpf_fd = strtoul(next_tok(&save), NULL, 0);
    a.info.info_len = sizeof(info);
    a.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) { err_line(errno, NULL); return; }
    fputs("ok ", stdout);
    puthex(info.tag, BPF_TAG_SIZE);
    printf(" %u %u %u %u %u %llu\n", info.id, info.type, info.jited_prog_len, info.xlated_prog_len,
           info.verified_insns, (unsigned long long)info.run_cnt);
    return;
  }
  if (strcmp(cmd, "map_info") == 0) {
    struct bpf_map_info info;
    memset(&info, 0, sizeof(info));
    a.info.bpf_fd = strtoul(next_tok(&save), NULL, 0);
    a.info.info_len = sizeof(info);
    a.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) { err_line(errno, NULL); return; }
    printf("ok %u %u %u %u %u %u\n", info.id, info.type, info.key_size, info.value_size, info.max_entries, info.map_flags);
    return;
  }
  if (strcmp(cmd, "close") == 0) {
    int fd = atoi(next_tok(&save));
    if (close(fd) < 0) err_line(errno, NULL); else puts("ok");
    return;
  }
  puts("err 22 -");
}

int main(void) {
  static char line[1 << 22];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof(line), stdin) != NULL) {
    handle(line);
    fflush(stdout);
  }
  return 0;
}
