// SPDX-License-Identifier: MIT
// Oracle for the `tcpdump -d` text: prints libpcap's own bpf_image() line for
// every instruction read from stdin ("code jt jf k" per line, decimal), so the
// disassembler can be compared on every opcode, including the ones libpcap's
// compiler never emits. Built by test/disassembler.test.ts with gcc -lpcap.
#include <pcap/pcap.h>
#include <stdio.h>

int main(void) {
	unsigned code, jt, jf, k;
	int n = 0;
	while (scanf("%u %u %u %u", &code, &jt, &jf, &k) == 4) {
		struct bpf_insn insn = { (unsigned short)code, (unsigned char)jt, (unsigned char)jf, k };
		puts(bpf_image(&insn, n++));
	}
	return 0;
}
