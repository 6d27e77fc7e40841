/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier descriptor: what one VPN protocol contributes to the engine.
 * Each protocol lives in one file under classifiers/ and exports one
 * descriptor, named cls_<name>; classifiers.def lists them, once (the
 * build and the table are made from that list). The engine only ever sees
 * this interface, so adding a protocol never touches engine/.
 *
 * How the engine drives a classifier (engine/packet/classify.c):
 *  - All patterns of all classifiers are compiled into ONE Hyperscan
 *    block-mode database (HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH); every
 *    pattern is anchored with '^' at the start of a transport payload. A
 *    match only makes its classifier a candidate for that payload, and
 *    only when the pattern's l4 mask includes the packet's transport. A
 *    classifier without patterns is a candidate for every payload of its
 *    transports, after the pattern candidates; so is one with patterns on
 *    the transports in its any_l4 (messages with no fixed bytes), for the
 *    payloads none of its patterns matched.
 *  - While no classifier owns the flow, candidates are offered the payload
 *    in priority order (lowest first) through first(), each with a zeroed
 *    state: CLS_NO passes it on; CLS_MORE makes that classifier the flow's
 *    owner (its state kept, later candidates not asked); CLS_LIKELY or
 *    CLS_CONFIRMED decide the flow's app at once.
 *  - The owner alone gets every later payload of the flow, both ways,
 *    through owned(). The engine counts them and, past max_owned without a
 *    decision, gives the flow up for it (CLS_NO). On CLS_NO the state is
 *    cleared and the flow goes back to scanning from the next packet.
 *  - When the flow's window closes, it goes quiet or it ends while a
 *    classifier owns it, that classifier's conclude() (if it has one)
 *    decides on what the flow showed, or answers CLS_NO: that is how flows
 *    seen in one direction only, and flows that end early, are decided.
 *    One side's evidence is CLS_LIKELY at most.
 *  - A verdict may say which side is the server (cls_ret_server): the
 *    engine turns the flow round when its first sender was the server, so
 *    the registry lookup finds the server endpoint even when only the
 *    server's packets were seen. Without it, the first sender is the client.
 *  - Callbacks run on the packet path: no allocation, no syscalls, no global
 *    written, every read bounds-checked against len, any bytes accepted.
 * Ids are 1-based indexes into tundra_classifiers[] (classifiers.def order);
 * 0 = unknown.
 */
#ifndef TUNDRA_CLASSIFIER_H
#define TUNDRA_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transport a pattern or classifier applies to. */
#define CLS_UDP 0x1
#define CLS_TCP 0x2
/* Any other IP protocol (ESP, GRE, ...): payload = bytes after the IP headers. */
#define CLS_IP 0x4

/* Direction of a payload relative to the flow's client (first sender). */
enum cls_dir { CLS_C2S = 0, CLS_S2C = 1 };

/* Outcome of one classifier call. */
enum cls_result {
	CLS_NO = 0,      /* not this protocol: drop it as a candidate */
	CLS_MORE,        /* consistent so far, need more packets */
	CLS_LIKELY,      /* decided on structure of one side only, or a fingerprint */
	CLS_CONFIRMED,   /* decided: structure and the peer's reply agree */
};

/*
 * Per-flow state: the engine's bookkeeping, then the owner's own struct in
 * data[] (at most CLS_STATE_BYTES, 8-byte aligned; CLS_STATE_FITS checks).
 */
#define CLS_STATE_BYTES 24
struct cls_state {
	uint8_t owner;      /* classifier id that holds data[], 0 = free */
	uint8_t owned;      /* payloads given to the owner since it claimed the flow */
	uint8_t first_dir;  /* direction of the payload it claimed the flow on */
	uint8_t pad[5];
	uint8_t data[CLS_STATE_BYTES] __attribute__((aligned(8)));
};
#define CLS_STATE_FITS(type)                                                                                 \
	_Static_assert(sizeof(type) <= CLS_STATE_BYTES && _Alignof(type) <= 8,                               \
		       #type " does not fit a flow's classifier state (CLS_STATE_BYTES)")

/* What a classifier sees of one packet inside the classification window. */
struct cls_pkt {
	const uint8_t *payload;
	uint32_t len;
	uint8_t l4;             /* CLS_UDP, CLS_TCP or CLS_IP */
	uint8_t dir;            /* enum cls_dir */
	uint8_t first_dir;      /* owned(): direction of the payload the owner claimed the flow on */
	uint8_t ip_proto;       /* IP protocol number (6, 17, 50, 47, ...) */
	uint16_t pkt_no;        /* 1-based packet number within the flow */
	uint16_t src_port, dst_port;
	uint32_t tcp_offset;    /* stream offset of payload[0] in this direction */
};

struct cls_pattern {
	const char *regex;      /* Hyperscan syntax, compiled with DOTALL */
	uint8_t l4;             /* CLS_UDP | CLS_TCP | CLS_IP */
	const char *name;       /* signature name, reported as the reason */
};

/* Which side a verdict found to be the server (0: not said). */
enum cls_server { CLS_SERVER_UNSAID = 0, CLS_SERVER_C2S_SENDER, CLS_SERVER_S2C_SENDER };

struct cls_verdict {
	enum cls_result result;
	const char *check;      /* the check that decided, for the reason (static string) */
	uint8_t server;         /* enum cls_server */
};

/* Why conclude() is asked. */
enum cls_end {
	CLS_END_WINDOW = 0,  /* the window's packets or bytes ran out */
	CLS_END_IDLE,        /* the flow went quiet, or its inspection slot was needed */
	CLS_END_FLOW,        /* the flow left the table */
};

/* What the ClientHello-reading classifiers declare, so their order can be checked. */
#define CLS_F_READS_CLIENTHELLO 0x1  /* decides on some TLS ClientHellos */
#define CLS_F_CLAIMS_CLIENTHELLO 0x2 /* takes every TLS ClientHello: must come after every reader */
/* The protocol's two ends are peers (either may start): the registry is asked about both. */
#define CLS_F_PEERS 0x4

struct classifier {
	const char *name;                 /* the app label printed */
	/* Candidates are offered a payload lowest first; unique (checked when the database is built). */
	uint16_t priority;
	const struct cls_pattern *patterns;
	unsigned int n_patterns;
	uint8_t l4;                       /* transports it applies to */
	uint8_t pkts_needed;              /* packets it may need to decide */
	uint8_t max_owned;                /* payloads it may own without deciding (0: no limit) */
	uint8_t state_size;               /* sizeof its state struct (<= CLS_STATE_BYTES) */
	uint8_t flags;                    /* CLS_F_* */
	/*
	 * Transports (within l4) on which a classifier with patterns is also a
	 * candidate for every payload none of its patterns matched, offered
	 * after the pattern candidates as a pattern-less one is: a protocol
	 * some of whose messages have no fixed bytes at all. 0: none.
	 */
	uint8_t any_l4;
	/*
	 * Optional, NULL-terminated: checks after which the ends are peers
	 * (the registry is asked about both), for a protocol whose ends are a
	 * client and a server but some of whose decisions cannot say which is
	 * which (a data channel picked up without its handshake). Compared by
	 * pointer: the strings the classifier returns. CLS_F_PEERS says it of
	 * every decision.
	 */
	const char *const *peer_checks;
	/* A payload it is a candidate for, st zeroed: claim (CLS_MORE), decide, or CLS_NO. */
	struct cls_verdict (*first)(const struct cls_pkt *pkt, void *st);
	/* A later payload of a flow it owns (pkt->first_dir set); NULL when it never answers CLS_MORE. */
	struct cls_verdict (*owned)(const struct cls_pkt *pkt, void *st);
	/* Optional: the owned flow showed all it will (why: enum cls_end): decide on that, or CLS_NO. */
	struct cls_verdict (*conclude)(const void *st, uint8_t first_dir, uint8_t why);
};

/*
 * Facts the client's first record gives the flow record, whoever decides it
 * (JA4 and SNI of a TLS or DTLS ClientHello; classifiers/tls.c).
 */
#define CLS_JA4_LEN 37
#define CLS_SNI_LEN 64
struct cls_facts {
	char ja4[CLS_JA4_LEN];      /* "" when none */
	char sni[CLS_SNI_LEN];      /* server_name, printable ASCII, "" when none */
};

enum cls_record {
	CLS_RECORD_NONE = 0, /* not a record facts are read from */
	CLS_RECORD_WHOLE,    /* read: facts filled */
	CLS_RECORD_PART,     /* the record goes on past len: *need bytes make it (or tell its length) */
};

/*
 * The client's first payload of a flow: what it says (facts), or how many
 * bytes of the stream the engine should gather first (TCP: a ClientHello
 * split over segments is reassembled, then offered as one payload).
 */
enum cls_record cls_first_record(const uint8_t *p, uint32_t len, uint8_t l4, uint32_t *need,
				 struct cls_facts *facts);
/* The largest record cls_first_record asks for (a TLS plaintext record). */
#define CLS_RECORD_MAX (5u + 16384u)

/* The one table (classifiers.c, from classifiers.def): ids are 1-based indexes into it. */
extern const struct classifier *const tundra_classifiers[];
extern const unsigned int tundra_n_classifiers;

/* 1..n for a known app name, -1 otherwise. */
int classifier_id_by_name(const char *name);
/* "unknown" for 0. */
const char *classifier_name(unsigned int id);
/* A decision of app id with this check leaves both ends to be asked (CLS_F_PEERS, peer_checks). */
bool classifier_ends_are_peers(unsigned int id, const char *check);

#endif
