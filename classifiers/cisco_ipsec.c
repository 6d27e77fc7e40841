/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cisco legacy IPsec client classifier ("cisco-ipsec"; UDP only): the old
 * Cisco VPN Client's "IPsec over UDP" transparent tunnelling, i.e. ESP
 * carried in UDP on port 10000 (the concentrator's default; the port is
 * handed to the client in a Cisco Unity mode-config attribute after
 * IKEv1 phase 1 on UDP 500 + XAUTH).
 *
 * Wire facts (Cisco VPN 3000 / ASA docs "IPsec over UDP", vpnc's
 * "--natt-mode cisco-udp", RFC 4303; no capture was available, so this is
 * from documentation only): the UDP payload is a bare ESP packet -- SPI
 * (4), sequence number (4), then ciphertext -- with no non-ESP marker (that
 * is RFC 3948's, on 4500) and no Cisco header. So nothing in the packet is
 * Cisco-specific: it is ESP on a non-standard port, and IKE stays on UDP
 * 500 on its own 5-tuple (the ike classifier decides that flow).
 * protocols.md says the flow "carries 0xFE577E2B": that constant comes from
 * nDPI's ciscovpn dissector ("This is a good query fe577e2b", both ports
 * 10000); it sits where the SPI is, and an SPI is a random per-SA value, so
 * it is one capture's SPI, not a protocol constant. It is NOT used here.
 * "cTCP" (Cisco IPsec over TCP, TCP 10000 by default) has no published
 * framing and no capture was available: TCP is not claimed.
 *
 * Evidence and false positives: the validator is pattern-less (an ESP
 * header is random bytes), so it is offered every undecided UDP payload
 * after the pattern candidates and after esp.c; the first test is the port
 * (10000 on either side: two compares). The port alone is never trusted.
 * The ESP behaviour is checked with the helpers esp.c's rules are written
 * in (cls_util.h cls_esp_*): SPI >= 256 and constant per direction,
 * sequence numbers moving up by exactly 1, different SPIs per direction.
 * Because the port is the only Cisco-specific part, one direction is not
 * enough here (esp.c's one-direction LIKELY is not offered): the decision
 * needs two consecutive packets in EACH direction, i.e. 64 bits of SPI
 * constancy and 3 exact +1 steps of a 32-bit counter across two
 * directions. Random payloads pass a +1 step with probability 2^-32 each:
 * never in practice. What can still pass is another protocol that frames
 * like ESP (4 constant bytes + a 32-bit +1 counter, different per
 * direction) on UDP 10000 -- e.g. an OpenVPN server moved to 10000 and
 * picked up after its handshake (P_DATA_V2: opcode/peer-id then packet id)
 * would only pass if the two directions used different peer ids, which
 * OpenVPN does not. RTP/SRTP (Asterisk's and Jitsi's 10000) change bytes
 * 2..3 every packet and STUN keeps bytes 4..7 constant: both fail.
 * The control lcore ties a decided flow to an IKE flow between the same
 * hosts (engine/control/tie.c, rule ike+cisco-ipsec: reported in tied_to); the
 * Cisco Unity vendor id in that IKE exchange is not checked.
 *
 * Decision:
 *   CONFIRMED "udp10000-esp-both-dirs-own-spi-seq-consecutive": UDP port
 *       10000 on either side, two consecutive ESP packets or more in each
 *       direction, each direction with its own constant SPI.
 * One direction only stays CLS_MORE until the owned limit, then CLS_NO,
 * and that is what is right on a one-way link too: what one side shows is
 * an ESP-shaped counter stream that OpenVPN's P_DATA_V2 (constant opcode
 * and peer id, packet id + 1) produces as well, and the one thing that
 * would make it Cisco's is the port, which is never evidence. esp.c's
 * one-direction rule rests on the same framing but on 4500/4501, which
 * IANA gives to IPsec NAT-T alone. The session is still found one way:
 * its IKE flow on UDP 500 decides from one side (ike.c), and no flow here
 * needs a label of its own for that.
 */
#include "classifier.h"
#include "cls_util.h"

#define CISCO_UDP_PORT 10000u
#define CISCO_BOTH_DIR_PKTS 2     /* consecutive packets in each direction */

struct cisco_state {
	struct cls_esp_track track;
};
CLS_STATE_FITS(struct cisco_state);

/* The next packet: ESP on UDP 10000, consistent with what the flow showed (owned) or its first. */
static struct cls_verdict
cisco_track(const struct cls_pkt *pkt, struct cisco_state *s, bool owned)
{
	uint32_t spi, seq;

	if (pkt->l4 != CLS_UDP || !cls_port_either(pkt, CISCO_UDP_PORT))
		return cls_ret(CLS_NO, "not-udp-10000");
	if (!cls_esp_header(pkt->payload, pkt->len, &spi, &seq))
		return cls_ret(CLS_NO, "not-esp-header");
	const char *why = cls_esp_track(&s->track, pkt->dir, spi, seq);
	if (!owned)
		return cls_ret(CLS_MORE, "udp10000-esp-first-packet");
	if (why != NULL)
		return cls_ret(CLS_NO, why);
	if (s->track.count[0] >= CISCO_BOTH_DIR_PKTS && s->track.count[1] >= CISCO_BOTH_DIR_PKTS)
		return cls_ret(CLS_CONFIRMED, "udp10000-esp-both-dirs-own-spi-seq-consecutive");
	return cls_ret(CLS_MORE, "udp10000-esp-tracking");
}

static struct cls_verdict
cisco_first(const struct cls_pkt *pkt, void *st)
{
	return cisco_track(pkt, st, false);
}

static struct cls_verdict
cisco_owned(const struct cls_pkt *pkt, void *st)
{
	return cisco_track(pkt, st, true);
}

const struct classifier cls_cisco_ipsec = {
	.name = "cisco-ipsec",
	.priority = 160,
	.patterns = NULL,
	.n_patterns = 0,
	.l4 = CLS_UDP,
	/* 2 packets per direction, with slack for a burst one way first */
	.pkts_needed = 8,
	.max_owned = 12,
	.state_size = sizeof(struct cisco_state),
	.first = cisco_first,
	.owned = cisco_owned,
};
