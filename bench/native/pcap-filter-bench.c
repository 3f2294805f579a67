// SPDX-License-Identifier: MIT
// libpcap's own classic-BPF interpreter (bpf_filter from Debian's libpcap-dev),
// timed over the packets of a pcap file: the baseline of bench/suites/cbpf.bench.ts.
// usage: pcap-filter-bench FILE.pcap PROGRAM.ddd REPS
//   runs bpf_filter(program, pkt, wirelen, caplen) over every packet REPS times;
//   prints "<ns per packet, self-timed in thread CPU time> <matches per pass>
//   <ns per packet, wall time (CLOCK_MONOTONIC)>".
// usage: pcap-filter-bench FILE.pcap PROGRAM.ddd serve REQ_FIFO RES_FIFO
//   stays up: for every line "REPS" read from REQ_FIFO it does the same and
//   writes the answer line to RES_FIFO, so a benchmark can time each request
//   without paying for process start-up and file loading.
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

static double elapsed(const struct timespec *a, const struct timespec *b) {
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

/* REPS passes over all packets; returns matches of one pass, *ns = ns per packet
   (thread CPU time), *wall = ns per packet (wall time). */
static unsigned long run(const struct bpf_insn *prog, unsigned char **data, const unsigned *wirelen, const unsigned *caplen,
			 size_t n, long reps, double *ns, double *wall) {
	unsigned long matches = 0;
	struct timespec t0, t1, w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (long r = 0; r < reps; r++) {
		unsigned long m = 0;
		for (size_t i = 0; i < n; i++) m += bpf_filter(prog, data[i], wirelen[i], caplen[i]) != 0;
		sink += m;
		matches = m;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	double per = (double)(reps > 0 ? reps : 1) * (double)(n ? n : 1);
	*ns = elapsed(&t0, &t1) / per;
	*wall = elapsed(&w0, &w1) / per;
	return matches;
}

int main(int argc, char **argv) {
	if (argc < 4) { fprintf(stderr, "usage: %s FILE.pcap PROGRAM.ddd REPS\n", argv[0]); return 2; }
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) { fprintf(stderr, "%s\n", err); return 2; }
	size_t cap = 1024, n = 0;
	unsigned char **data = malloc(cap * sizeof(*data));
	unsigned *caplen = malloc(cap * sizeof(*caplen)), *wirelen = malloc(cap * sizeof(*wirelen));
	struct pcap_pkthdr *h;
	const u_char *bytes;
	while (pcap_next_ex(p, &h, &bytes) == 1) {
		if (n == cap) {
			cap *= 2;
			data = realloc(data, cap * sizeof(*data));
			caplen = realloc(caplen, cap * sizeof(*caplen));
			wirelen = realloc(wirelen, cap * sizeof(*wirelen));
		}
		data[n] = malloc(h->caplen ? h->caplen : 1);
		for (unsigned i = 0; i < h->caplen; i++) data[n][i] = bytes[i];
		caplen[n] = h->caplen;
		wirelen[n] = h->len;
		n++;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) { perror(argv[2]); return 2; }
	unsigned count;
	if (fscanf(f, "%u", &count) != 1 || count == 0) { fprintf(stderr, "bad program\n"); return 2; }
	struct bpf_insn *prog = calloc(count, sizeof(*prog));
	for (unsigned i = 0; i < count; i++) {
		unsigned code, jt, jf, k;
		if (fscanf(f, "%u %u %u %u", &code, &jt, &jf, &k) != 4) { fprintf(stderr, "bad insn %u\n", i); return 2; }
		prog[i].code = (unsigned short)code;
		prog[i].jt = (unsigned char)jt;
		prog[i].jf = (unsigned char)jf;
		prog[i].k = k;
	}
	fclose(f);
	if (strcmp(argv[3], "serve") == 0 && argc >= 6) {
		FILE *req = fopen(argv[4], "r");
		FILE *res = fopen(argv[5], "w");
		if (!req || !res) { perror("fifo"); return 2; }
		char line[64];
		while (fgets(line, sizeof line, req)) {
			double ns, wall;
			unsigned long m = run(prog, data, wirelen, caplen, n, atol(line), &ns, &wall);
			fprintf(res, "%.3f %lu %.3f\n", ns, m, wall);
			fflush(res);
		}
		return 0;
	}
	double ns, wall;
	unsigned long m = run(prog, data, wirelen, caplen, n, atol(argv[3]), &ns, &wall);
	printf("%.3f %lu %.3f\n", ns, m, wall);
	return 0;
}
