/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tinc classifier (TCP meta connection, any port; 655 by convention). Owns
 * its pattern and validator.
 *
 * Wire facts (tinc 1.0 src/protocol.c, protocol_auth.c id_h/send_id, tinc
 * 1.1 src/protocol_auth.c; checked against ../pcaps/tinc.pcap, tinc 1.0.36
 * on Debian 12):
 *   - The meta protocol is line based. Each side's first line is the ID
 *     request "0 <name> <version>\n": request number 0, the node name
 *     ([A-Za-z0-9_]+, tinc's check_id()), and the protocol version: "17"
 *     for tinc 1.0.x, "17.<minor>" for tinc 1.1 (minor 0..999; 1.1pre18
 *     sends 17.7). In the capture the client sends "0 cli 17\n" alone and
 *     the server answers in one segment "0 srv 17\n" followed by its
 *     METAKEY line "1 429 672 0 0 <512 hex digits>\n" (request 1, cipher
 *     and digest OpenSSL NIDs, MAC length, compression, RSA-encrypted key
 *     in upper-case hex); then the client's METAKEY, then binary (the meta
 *     connection is encrypted from there on).
 *   - tinc 1.1 between 1.1 nodes (minor >= 2) switches to SPTPS right after
 *     the two ID lines: binary records (2-byte length, type 128 =
 *     handshake, KEX: version 0 + 32-byte nonce + 32-byte ECDH key), so the
 *     ID lines are all the cleartext both versions share -- which is why
 *     the decision is made on them.
 *   - Lines that look similar but are not a peer connection: the tinc CLI's
 *     control connection "0 ^<cookie> 0" (local) and an invitation
 *     "0 ?<key> 17.x": their names do not pass [A-Za-z0-9_]+, so they are
 *     not claimed.
 *   - UDP (655 by convention) carries the data packets: in tinc 1.0 the
 *     sequence number and the frame are encrypted together and a MAC is
 *     appended; in 1.1 SPTPS datagrams are encrypted too. There is no
 *     cleartext structure, so UDP is NOT classified from its payload (the
 *     UDP flow of tinc.pcap is undecided here); the control lcore ties
 *     it to the TCP meta connection between the same hosts whose server
 *     port is the UDP flow's port on that node, and reports it tinc,
 *     likely (engine/control/tie.c, rule tinc-meta+udp). protocols.md is right on
 *     the ID line.
 *
 * Decision (never from the port):
 *   CONFIRMED "id-request-both-sides-protocol-17": a well-formed ID line at
 *       stream offset 0 of one direction, then a well-formed ID line at
 *       stream offset 0 of the other direction (each with major version 17).
 *   LIKELY "id-request+metakey-one-dir": one side's ID line, then, at the
 *       stream offset just past it (the same segment or that side's next),
 *       its METAKEY line "1 <cipher> <digest> <maclength> <compression>
 *       <key>": four decimal numbers and at least 256 upper-case hex digits
 *       (an RSA-encrypted key of 1024 bits or more), to the line's end or
 *       the segment's. Either side alone shows it (tinc 1.0: the
 *       accepting side sends its ID and METAKEY in one segment, the
 *       connecting side its METAKEY once the peer's ID came); neither shows
 *       which end serves (the ends are peers: CLS_F_PEERS, no server named).
 *       tinc 1.1's SPTPS (binary after the ID lines) is not read: without
 *       the peer's ID line a 1.1 flow stays undecided.
 * A single side's ID line is CLS_MORE: later segments of the same side are
 * tolerated (a 1.0 client sends nothing more before the answer, but a
 * resend must not break it); the other side's first segment must start
 * with an ID line, or the flow is NO.
 * False positives: both TCP directions must open with "0 ", a name, " 17",
 * optionally ".digits", then "\n" -- at least 7 fixed bytes per side at a
 * fixed place, plus the character classes. Random payloads match with
 * probability below 2^-56 per side. No ordinary protocol opens both
 * directions of a TCP connection with such a line (text protocols open
 * with a banner or a verb: "220 ", "SSH-", "GET ", "+OK", "* OK").
 */
#include "classifier.h"
#include "cls_util.h"

#define TINC_NAME_MAX 255u    /* longer names are not sent in practice */
#define TINC_MINOR_DIGITS 3u

#define TINC_NUM_DIGITS 5u
#define TINC_KEY_HEX_MIN 256u  /* an RSA key of 1024 bits or more, in hex */

struct tinc_state {
	uint8_t minor;        /* the first ID line carried ".minor" (1.1) */
	uint32_t id_end;      /* stream offset past the first side's ID line */
};
CLS_STATE_FITS(struct tinc_state);

static bool
tinc_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/*
 * An ID line "0 <name> 17[.minor]\n" at the start of p[0..n). Returns the
 * offset just past its '\n', 0 when p does not start with one; *minor says
 * whether ".minor" was present.
 */
static uint32_t
tinc_id_line(const uint8_t *p, uint32_t n, bool *minor)
{
	uint32_t i = 2, start, digits;

	if (p == NULL || !cls_str_at(p, n, 0, "0 "))
		return 0;
	start = i;
	while (i < n && i - start < TINC_NAME_MAX && tinc_name_char(p[i]))
		i++;
	if (i == start || !cls_str_at(p, n, i, " 17"))
		return 0;
	i += 3;
	*minor = false;
	if (i < n && p[i] == '.') {
		i++;
		for (digits = 0; i < n && digits < TINC_MINOR_DIGITS && p[i] >= '0' && p[i] <= '9';
		     digits++)
			i++;
		if (digits == 0)
			return 0;
		*minor = true;
	}
	if (i >= n || p[i] != '\n')
		return 0;
	return i + 1;
}

/* 1..TINC_NUM_DIGITS decimal digits then sep at p[*i..); advances *i past sep. */
static bool
tinc_number(const uint8_t *p, uint32_t n, uint32_t *i, uint8_t sep)
{
	uint32_t start = *i;

	while (*i < n && *i - start < TINC_NUM_DIGITS && p[*i] >= '0' && p[*i] <= '9')
		(*i)++;
	if (*i == start || *i >= n || p[*i] != sep)
		return false;
	(*i)++;
	return true;
}

/* A METAKEY line (tinc 1.0 send_metakey) at the start of p[0..n), to its '\n' or to n. */
static bool
tinc_metakey(const uint8_t *p, uint32_t n)
{
	uint32_t i = 2, start, k;

	if (!cls_str_at(p, n, 0, "1 "))
		return false;
	for (k = 0; k < 4; k++)
		if (!tinc_number(p, n, &i, ' '))
			return false;
	for (start = i; i < n && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F')); i++)
		;
	return i - start >= TINC_KEY_HEX_MIN && (i == n || p[i] == '\n');
}

static struct cls_verdict
tinc_first(const struct cls_pkt *pkt, void *st)
{
	struct tinc_state *s = st;
	uint32_t end;
	bool minor;

	if (pkt->l4 != CLS_TCP || pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-tcp-payload");
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-stream-start");
	end = tinc_id_line(pkt->payload, pkt->len, &minor);
	if (end == 0)
		return cls_ret(CLS_NO, "not-tinc-id-line");
	if (tinc_metakey(pkt->payload + end, pkt->len - end))
		return cls_ret(CLS_LIKELY, "id-request+metakey-one-dir");
	s->minor = minor;
	s->id_end = end;
	return cls_ret(CLS_MORE, minor ? "id-request-protocol-17-minor" : "id-request-protocol-17");
}

static struct cls_verdict
tinc_owned(const struct cls_pkt *pkt, void *st)
{
	const struct tinc_state *s = st;
	bool minor;

	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-tcp-payload");
	if (pkt->dir == pkt->first_dir) {
		if (pkt->tcp_offset == s->id_end && tinc_metakey(pkt->payload, pkt->len))
			return cls_ret(CLS_LIKELY, "id-request+metakey-one-dir");
		return cls_ret(CLS_MORE, "same-side-segment-ignored");
	}
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "peer-stream-start-missed");
	if (tinc_id_line(pkt->payload, pkt->len, &minor) == 0)
		return cls_ret(CLS_NO, "peer-not-tinc-id-line");
	/* The side that accepted the connection is its server (tinc nodes are peers otherwise). */
	return cls_ret_server(CLS_CONFIRMED, "id-request-both-sides-protocol-17", pkt->dir);
}

static const struct cls_pattern tinc_patterns[] = {
	{ "^0 [A-Za-z0-9_]+ 17(\\.[0-9]{1,3})?\\n", CLS_TCP, "tinc-id-request" },
};

const struct classifier cls_tinc = {
	.name = "tinc",
	.priority = 140,
	.patterns = tinc_patterns,
	.n_patterns = sizeof(tinc_patterns) / sizeof(tinc_patterns[0]),
	.l4 = CLS_TCP,
	/* SYN, SYN-ACK, ACK, client ID, ACK, server ID (+ slack) */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct tinc_state),
	.flags = CLS_F_PEERS,
	.first = tinc_first,
	.owned = tinc_owned,
};
