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
 * required to be small: a window often starts in the middle of an SA (the
 * NAT-T ESP shares its 5-tuple with the IKE_AUTH exchange that created it,
 * so a fresh SA's first packets are usually seen by the IKE classifier's
 * flow already decided). A keepalive is ignored (not counted) while this
 * classifier owns the flow, and is CLS_NO otherwise; an IKE message behind
 * the zero marker (SPI 0) is CLS_NO.
 *
 * Decisions:
 *   CONFIRMED "esp-both-dirs-own-spi-seq-consecutive": two packets or more
 *       in each direction, each direction with a constant SPI of its own and
 *       consecutive sequence numbers (4 packets of a ping).
 *   LIKELY "esp-one-dir-spi-constant-seq-consecutive": three packets in
 *       one direction with a constant SPI and consecutive sequence numbers
 *       (one-way traffic, or a window that sees one side first).
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

struct esp_state {
	struct cls_esp_track track;
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

static struct cls_verdict
esp_first(const struct cls_pkt *pkt, void *st)
{
	struct esp_state *s = st;
	uint32_t spi, seq;

	if (pkt->payload == NULL || !esp_transport_ok(pkt))
		return cls_ret(CLS_NO, "not-esp-transport");
	if (!cls_esp_header(pkt->payload, pkt->len, &spi, &seq))
		return cls_ret(CLS_NO, "not-esp-header");
	cls_esp_track(&s->track, pkt->dir, spi, seq);
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
		return cls_ret(CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive");
	if (s->track.count[pkt->dir & 1u] >= ESP_ONE_DIR_PKTS)
		return cls_ret(CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive");
	return cls_ret(CLS_MORE, "esp-tracking");
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
	.first = esp_first,
	.owned = esp_owned,
};
