/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP classifier (RFC 4303): IP protocol 50, and ESP in UDP (RFC 3948) on
 * port 4500 (NAT-T) or 4501 (Palo Alto GlobalProtect) on either side.
 * Everything after the 8-byte header is ciphertext, so there is no pattern
 * (n_patterns 0: a candidate for every undecided payload of its
 * transports) and the validator checks behaviour over a few packets.
 *
 * Wire facts (RFC 4303 §2, RFC 3948 §2, docs/protocols.md):
 *   SPI (4, big-endian): 0 is never sent (which is what lets the NAT-T
 *   non-ESP marker exist), 1..255 are reserved by IANA; each direction is
 *   its own SA with its own SPI, constant for the SA's life.
 *   sequence number (4): starts at 1 for a new SA and goes up by exactly 1
 *   per packet sent (only the low 32 bits are sent with ESN).
 *   then IV, payload, padding, pad length, next header, ICV: at least 24
 *   bytes in all (null encryption + HMAC-96: 8 + 4 + 12; encryption
 *   without integrity: 8 + 8 IV + 8 block; AEADs are longer).
 *   A lone 0xFF on UDP 4500 is a NAT-keepalive, never ESP.
 *
 * Cost and false positives: on UDP the validator is called for every
 * undecided payload in the window, so the first test is the port (4500 or
 * 4501 on either side, two compares); on IP the protocol number (50). The
 * UDP port alone is not trusted: the SPI must stay constant and the
 * sequence number go up by exactly 1 per packet in each direction, and the
 * two directions must use different SPIs. The start of the sequence is NOT
 * required to be small (but for a short flow, below): a window often
 * starts in the middle of an SA (the NAT-T ESP shares its 5-tuple with the
 * IKE_AUTH exchange that created it, so a fresh SA's first packets are
 * usually seen by the IKE classifier's flow, decided already or, one
 * direction, deciding on them: ike.c). A keepalive is ignored (not
 * counted) while this classifier owns the flow, and is CLS_NO otherwise;
 * an IKE message behind the zero marker (SPI 0) is CLS_NO.
 *
 * Decisions:
 *   CONFIRMED "esp-both-dirs-own-spi-seq-consecutive": two packets or more
 *       in each direction, each direction with a constant SPI of its own and
 *       consecutive sequence numbers (4 packets of a ping).
 *   LIKELY "esp-one-dir-spi-constant-seq-consecutive": three packets in
 *       one direction with a constant SPI and consecutive sequence numbers
 *       (one-way traffic, or a window that sees one side first).
 *   At conclude(), when the flow ended or went quiet (not when its window
 *       closed) and this classifier held it from its first packet, so that
 *       every packet of it is ESP of one SA per direction:
 *       LIKELY "esp-ip50-short-flow-spi-seq-young": IP protocol 50 (what
 *       the IP header calls ESP), one or two packets (one way, or one each
 *       way with different SPIs), SPI >= 256, >= 24 bytes, each sequence
 *       number non-zero and at most 2^24 (cls_esp_seq_young): a new SA's
 *       first packets, the child SA of an IKE exchange that ended there.
 *       LIKELY "esp-udp-two-pkts-one-dir-spi-constant-seq-consecutive": ESP
 *       in UDP, two consecutive packets of one SA one way, young numbers.
 *       One UDP packet is never enough: on 4500 that would be the port and
 *       8 bytes any datagram has.
 * Who serves cannot be seen in ESP (each side's SA looks the same): the
 * classifier is CLS_F_PEERS (the registry is asked about both ends). When
 * the UDP ports show it (4500 or 4501 on one side only: the NAT-T server's
 * port, the client's mapped by its NAT), every verdict names that side as
 * the server; on IP 50, or 4500 on both sides, the server is left unsaid.
 * An ESP flow is tied to the IKE flow that negotiated it (IKE on UDP 500,
 * then ESP on protocol 50 between the same hosts) on the control lcore, not
 * here: engine/control/tie.c, rule ike+esp (host pair; the child SA SPIs are inside
 * the encrypted IKE_AUTH, so they cannot be matched).
 */
#include "classifier.h"
#include "cls_util.h"

#define ESP_IP_PROTO 50u
#define ESP_GP_PORT 4501u        /* GlobalProtect's ESP-in-UDP */
#define ESP_ONE_DIR_PKTS 3       /* consecutive packets in one direction: LIKELY */
#define ESP_BOTH_DIR_PKTS 2      /* ... in each direction: CONFIRMED */
#define ESP_UDP_SHORT_PKTS 2     /* UDP, the flow ended: consecutive packets one way */

/* What the first packet showed (esp_state.bits). */
#define ESP_B_IP 0x01            /* IP protocol 50 (else ESP in UDP) */
#define ESP_B_PORT_SAYS 0x02     /* one side's port is 4500/4501, the other's not ... */
#define ESP_B_SERVER_S2C 0x04    /* ... and that side sends S2C (else C2S) */
#define ESP_B_FROM_START 0x08    /* claimed at the flow's first packet: the tracker saw them all */

struct esp_state {
	struct cls_esp_track track;
	uint8_t bits;
};
CLS_STATE_FITS(struct esp_state);

static bool
esp_transport_ok(const struct cls_pkt *pkt)
{
	if (pkt->l4 == CLS_IP)
		return pkt->ip_proto == ESP_IP_PROTO;
	return pkt->l4 == CLS_UDP &&
	       (cls_port_either(pkt, CLS_NATT_PORT) || cls_port_either(pkt, ESP_GP_PORT));
}

/* A verdict naming the server when the NAT-T port showed it, else leaving it unsaid (peers). */
static struct cls_verdict
esp_ret(const struct esp_state *s, enum cls_result r, const char *check)
{
	if (s->bits & ESP_B_PORT_SAYS)
		return cls_ret_server(r, check, (s->bits & ESP_B_SERVER_S2C) ? CLS_S2C : CLS_C2S);
	return cls_ret(r, check);
}

static struct cls_verdict
esp_first(const struct cls_pkt *pkt, void *st)
{
	struct esp_state *s = st;
	uint32_t spi, seq;
	int sd;

	if (pkt->payload == NULL || !esp_transport_ok(pkt))
		return cls_ret(CLS_NO, "not-esp-transport");
	if (!cls_esp_header(pkt->payload, pkt->len, &spi, &seq))
		return cls_ret(CLS_NO, "not-esp-header");
	cls_esp_track(&s->track, pkt->dir, spi, seq);
	if (pkt->pkt_no == 1)
		s->bits |= ESP_B_FROM_START;
	if (pkt->l4 == CLS_IP) {
		s->bits |= ESP_B_IP;
	} else {
		sd = cls_port_server_dir(pkt, CLS_NATT_PORT);
		if (sd < 0)
			sd = cls_port_server_dir(pkt, ESP_GP_PORT);
		if (sd >= 0)
			s->bits |= (uint8_t)(ESP_B_PORT_SAYS | (sd == CLS_S2C ? ESP_B_SERVER_S2C : 0));
	}
	return cls_ret(CLS_MORE, "esp-first-packet");
}

static struct cls_verdict
esp_owned(const struct cls_pkt *pkt, void *st)
{
	struct esp_state *s = st;
	uint32_t spi, seq;

	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-esp-transport");
	if (pkt->l4 == CLS_UDP && cls_natt_keepalive(pkt->payload, pkt->len))
		return cls_ret(CLS_MORE, "natt-keepalive-ignored");
	if (!cls_esp_header(pkt->payload, pkt->len, &spi, &seq))
		return cls_ret(CLS_NO, "not-esp-header");
	const char *why = cls_esp_track(&s->track, pkt->dir, spi, seq);
	if (why)
		return cls_ret(CLS_NO, why);
	if (s->track.count[0] >= ESP_BOTH_DIR_PKTS && s->track.count[1] >= ESP_BOTH_DIR_PKTS)
		return esp_ret(s, CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive");
	if (s->track.count[pkt->dir & 1u] >= ESP_ONE_DIR_PKTS)
		return esp_ret(s, CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive");
	return cls_ret(CLS_MORE, "esp-tracking");
}

/*
 * The flow ended or went quiet before three packets one way (or two each
 * way), every packet of it ESP of one SA per direction: a short ESP flow.
 * IP protocol 50: one or two packets, each with a sequence number a young
 * SA has. ESP in UDP: the port says nothing, so two consecutive packets of
 * one SA one way are the least that decides. Not when the window closed:
 * a flow with that many packets of which this few were ESP is not one.
 */
static struct cls_verdict
esp_conclude(const void *st, uint8_t first_dir, uint8_t why)
{
	const struct esp_state *s = st;
	const struct cls_esp_track *t = &s->track;
	unsigned int n = (unsigned int)t->count[0] + t->count[1];

	(void)first_dir;
	if (why == CLS_END_WINDOW || !(s->bits & ESP_B_FROM_START))
		return cls_ret(CLS_NO, "esp-not-a-short-flow");
	if (s->bits & ESP_B_IP) {
		if (n < 1 || n > 2 || (t->count[0] && !cls_esp_seq_young(t->seq[0])) ||
		    (t->count[1] && !cls_esp_seq_young(t->seq[1])))
			return cls_ret(CLS_NO, "esp-short-flow-seq-not-young");
		return cls_ret(CLS_LIKELY, "esp-ip50-short-flow-spi-seq-young");
	}
	for (unsigned int d = 0; d < 2; d++)
		if (t->count[d] >= ESP_UDP_SHORT_PKTS && cls_esp_seq_young(t->seq[d]))
			return esp_ret(s, CLS_LIKELY, "esp-udp-two-pkts-one-dir-spi-constant-seq-consecutive");
	return cls_ret(CLS_NO, "esp-udp-too-few-packets");
}

const struct classifier cls_esp = {
	.name = "esp",
	.priority = 60,
	.patterns = NULL,
	.n_patterns = 0,
	.l4 = CLS_UDP | CLS_IP,
	/* 4 packets (2 per direction) or 3 one way, with slack for keepalives */
	.pkts_needed = 6,
	.max_owned = 12,
	.state_size = sizeof(struct esp_state),
	/* Either end may have sent what is seen: nothing in ESP says which serves. */
	.flags = CLS_F_PEERS,
	.first = esp_first,
	.owned = esp_owned,
	.conclude = esp_conclude,
};
