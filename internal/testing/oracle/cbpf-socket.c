// SPDX-License-Identifier: MIT
// Kernel oracle for classic BPF (tcbpf, own code). Run inside a throw-away
// network namespace whose `lo` is up. Usage: cbpf-socket [ETHERTYPE]: the
// filtered sockets are bound to that protocol (default ETH_P_ALL, which also
// sees outgoing copies; a specific protocol sees host-side copies only, after
// tc ingress). Reads commands on stdin:
//   F <hex>                     add a frame (Ethernet, >= 14 bytes) to the list
//   P <n> <code jt jf k>*n      attach the program with SO_ATTACH_FILTER to a
//                               fresh AF_PACKET socket bound to lo, send every
//                               frame on lo and report what the socket got
// and answers one line per P:
//   E <errno>                   setsockopt refused the program
//   R <out> <in> <out> <in> ... per frame, captured length of the outgoing
//                               copy (PACKET_OUTGOING) and of the host-side copy;
//                               0 = dropped by the filter
//   T                           a frame never came back (timeout)
// Each frame is followed by a sentinel frame (EtherType 0x88b6) watched on an
// unfiltered control socket: once its host-side copy arrives, everything sent
// before it has passed every packet socket. The process is pinned to CPU 0.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_FRAMES 256
#define SENTINEL_TYPE 0x88b6

static unsigned char *frames[MAX_FRAMES];
static int frame_len[MAX_FRAMES];
static int nframes;
static int lo_index;
static unsigned short bind_proto = ETH_P_ALL;

static int hexval(int c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int open_bound(int filtered, struct sock_fprog *prog, int *err) {
	unsigned short proto = filtered ? bind_proto : ETH_P_ALL;
	int s = socket(AF_PACKET, SOCK_RAW, htons(proto));
	if (s < 0) { perror("socket"); exit(2); }
	if (filtered && setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, prog, sizeof(*prog)) != 0) {
		*err = errno;
		close(s);
		return -1;
	}
	int rcvbuf = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = lo_index };
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) { perror("bind"); exit(2); }
	return s;
}

static void send_frame(int tx, const unsigned char *f, int len) {
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = lo_index, .sll_halen = 6 };
	to.sll_protocol = htons((unsigned short)((f[12] << 8) | f[13]));
	memcpy(to.sll_addr, f, 6);
	if (sendto(tx, f, len, 0, (struct sockaddr *)&to, sizeof(to)) != len) { perror("sendto"); exit(2); }
}

static unsigned char rxbuf[65536];

/* Wait until the control socket has seen the host-side copy of the sentinel. */
static int wait_sentinel(int ctl) {
	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(ctl, rxbuf, sizeof(rxbuf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) return -1;
		if (from.sll_protocol == htons(SENTINEL_TYPE) && from.sll_pkttype != PACKET_OUTGOING) return 0;
	}
}

int main(int argc, char **argv) {
	if (argc > 1) bind_proto = (unsigned short)strtoul(argv[1], NULL, 0);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* keep the namespace's IP stacks quiet: no answers to our frames */
	FILE *sc = fopen("/proc/sys/net/ipv6/conf/all/disable_ipv6", "w");
	if (sc) { fputs("1\n", sc); fclose(sc); }
	sc = fopen("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "w");
	if (sc) { fputs("1\n", sc); fclose(sc); }
	lo_index = (int)if_nametoindex("lo");
	if (lo_index == 0) { perror("lo"); return 2; }
	int tx = socket(AF_PACKET, SOCK_RAW, 0);
	if (tx < 0) { perror("socket"); return 2; }
	int dummy = 0;
	int ctl = open_bound(0, NULL, &dummy);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	unsigned char sentinel[60] = {0};
	sentinel[12] = SENTINEL_TYPE >> 8;
	sentinel[13] = SENTINEL_TYPE & 0xff;

	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, stdin)) > 0) {
		if (line[0] == 'F') {
			char *h = line + 2;
			int n = 0;
			unsigned char *f = malloc(strlen(h) / 2 + 1);
			while (hexval(h[0]) >= 0 && hexval(h[1]) >= 0) { f[n++] = (unsigned char)(hexval(h[0]) * 16 + hexval(h[1])); h += 2; }
			if (nframes < MAX_FRAMES && n >= 14) { frames[nframes] = f; frame_len[nframes] = n; nframes++; }
			else free(f);
		} else if (line[0] == 'P') {
			char *p = line + 1;
			long n = strtol(p, &p, 10);
			struct sock_filter *ins = calloc(n > 0 ? (size_t)n : 1, sizeof(*ins));
			for (long i = 0; i < n; i++) {
				ins[i].code = (unsigned short)strtoul(p, &p, 10);
				ins[i].jt = (unsigned char)strtoul(p, &p, 10);
				ins[i].jf = (unsigned char)strtoul(p, &p, 10);
				ins[i].k = (unsigned int)strtoul(p, &p, 10);
			}
			struct sock_fprog prog = { .len = (unsigned short)n, .filter = ins };
			int err = 0;
			int fs = open_bound(1, &prog, &err);
			free(ins);
			if (fs < 0) { printf("E %d\n", err); fflush(stdout); continue; }
			printf("R");
			int timeout = 0;
			for (int i = 0; i < nframes && !timeout; i++) {
				send_frame(tx, frames[i], frame_len[i]);
				send_frame(tx, sentinel, sizeof(sentinel));
				if (wait_sentinel(ctl) != 0) { timeout = 1; break; }
				int out_len = 0, in_len = 0, seen_out = 0, seen_in = 0;
				for (;;) {
					struct sockaddr_ll from;
					socklen_t fl = sizeof(from);
					ssize_t m = recvfrom(fs, rxbuf, sizeof(rxbuf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
					if (m < 0) break;
					if (from.sll_protocol == htons(SENTINEL_TYPE)) continue;
					/* the first copy of each kind is ours; later ones are the
					 * stack's answers to it (e.g. ICMPv6 errors) */
					if (from.sll_pkttype == PACKET_OUTGOING) { if (!seen_out) out_len = (int)m; seen_out = 1; }
					else { if (!seen_in) in_len = (int)m; seen_in = 1; }
				}
				printf(" %d %d", out_len, in_len);
			}
			if (timeout) printf("\nT");
			printf("\n");
			fflush(stdout);
			close(fs);
		}
	}
	free(line);
	return 0;
}
