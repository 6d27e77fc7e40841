/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra-gen: deterministic benchmark traffic generator.
 *
 * Writes a classic pcap (Ethernet, microsecond timestamps) holding --flows
 * sessions that start at --rate new sessions per second and each last
 * --concurrent / --rate seconds, so about --concurrent of them are open at
 * any time (Little's law). Packets are merged in time order through a heap
 * of the open sessions (16 bytes each) and written as they are made: no
 * packet is ever held twice, memory is O(concurrent sessions).
 *
 * A session is either
 *   - a VPN template: every packet of one ground-truth capture in pcaps/
 *     (real handshake bytes, then data), moved to a new client address and
 *     port, with the protocol's identifiers rewritten consistently so the
 *     validators still confirm (WireGuard sender/receiver indexes, OpenVPN
 *     session ids incl. the server's ack of the client's, IKE SPIs); UDP
 *     templates are extended with data packets up to --pkts;
 *   - a non-VPN template (TLS 1.2/1.3, DNS, SSH) moved the same way; or
 *   - synthetic traffic: QUIC-like UDP/443, plain TCP (SYN, SYN-ACK, data,
 *     FIN) or plain UDP, --pkts packets sized by --sizes (64, imix, real).
 *
 * --flood syn|random writes a flood instead: --flows single-packet flows at
 * --rate per second, each a new 5-tuple. syn: TCP SYNs from random clients
 * (10/8, random ports) to one server, 203.0.113.80:80; random: random
 * addresses and ports both sides, half TCP SYNs, half UDP datagrams with a
 * few random payload bytes. Flow tables see every packet as a new flow.
 *
 * --truth FILE writes one CSV line per VPN flow (l4, client, server, app) for
 * the agreement check against `tundra classify --json`.
 *
 * Everything derives from --seed and the session number: same arguments,
 * same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAME 2048
#define MAX_TPL_PKTS 256
#define MAX_IDS 8

/* ---- deterministic hashing --------------------------------------------- */

static uint64_t g_seed = 1;

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t h3(uint64_t a, uint64_t b, uint64_t c)
{
	return mix64(g_seed ^ mix64(a ^ mix64(b * 0x9e3779b97f4a7c15ULL ^ mix64(c + 0x1234567))));
}

/* ---- templates ---------------------------------------------------------- */

struct tpl_pkt {
	uint16_t len;       /* frame length */
	uint8_t ipv;        /* 4 or 6 */
	uint8_t proto;      /* 6, 17, 47, 50 */
	uint8_t client_src; /* 1: sent by the client */
	uint8_t flow;       /* flow number inside the template */
	uint16_t l3, l4, pl, plen; /* offsets, payload length */
	uint8_t *data;
};

struct tpl_flow {
	uint8_t ipv, proto;
	uint16_t sport, dport;   /* client port, server port (template values) */
	uint8_t server[16];
	char app[32];            /* from labels.csv; "" when not a VPN label */
};

struct tpl {
	const char *file;
	const char *kind;        /* "wireguard", "openvpn", "ike", "" ... for id rewriting */
	bool vpn, extend;
	int npkts, nflows;
	struct tpl_pkt pkts[MAX_TPL_PKTS];
	struct tpl_flow flows[16];
	int nids;
	uint8_t ids[MAX_IDS][8]; /* 8-byte identifiers to rewrite (OpenVPN sids, IKE SPIs) */
	int last_c2s, last_s2c;  /* template packets cloned to extend the session */
};

static const uint8_t CLIENT4[2][4] = { { 198, 18, 0, 2 }, { 198, 19, 0, 2 } };
static const uint8_t CLIENT6[16] = { 0xfd, 0, 0, 0x7d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static const char *pcap_dir = "pcaps";
static char labels[4096][160];
static int nlabels;

static void load_labels(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/labels.csv", pcap_dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (nlabels < 4096 && fgets(labels[nlabels], sizeof(labels[0]), f)) {
		labels[nlabels][strcspn(labels[nlabels], "\r\n")] = 0;
		nlabels++;
	}
	fclose(f);
}

static const char *label_app(const char *file, const struct tpl_flow *fl)
{
	char ip[64], key[160], l4[8];
	if (fl->ipv == 4)
		inet_ntop(AF_INET, fl->server, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, fl->server, ip, sizeof(ip));
	if (fl->proto == 6)
		strcpy(l4, "tcp");
	else if (fl->proto == 17)
		strcpy(l4, "udp");
	else
		snprintf(l4, sizeof(l4), "%u", fl->proto);
	snprintf(key, sizeof(key), "%s,%s,%s,%u,", file, l4, ip, fl->dport);
	for (int i = 0; i < nlabels; i++)
		if (strncmp(labels[i], key, strlen(key)) == 0) {
			static char app[32];
			const char *p = labels[i] + strlen(key);
			size_t n = strcspn(p, ",");
			if (n >= sizeof(app))
				n = sizeof(app) - 1;
			memcpy(app, p, n);
			app[n] = 0;
			return app;
		}
	return "";
}

static int is_client(const uint8_t *a, int ipv)
{
	if (ipv == 4)
		return !memcmp(a, CLIENT4[0], 4) || !memcmp(a, CLIENT4[1], 4);
	return !memcmp(a, CLIENT6, 16);
}

static void add_id(struct tpl *t, const uint8_t *id)
{
	static const uint8_t zero[8];
	if (!memcmp(id, zero, 8) || t->nids >= MAX_IDS)
		return;
	for (int i = 0; i < t->nids; i++)
		if (!memcmp(t->ids[i], id, 8))
			return;
	memcpy(t->ids[t->nids++], id, 8);
}

static int load_tpl(struct tpl *t)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s", pcap_dir, t->file);
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "tundra-gen: %s\n", err);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	t->last_c2s = t->last_s2c = -1;
	while (pcap_next_ex(p, &h, &d) == 1 && t->npkts < MAX_TPL_PKTS) {
		if (h->caplen < 34 || h->caplen > MAX_FRAME || h->caplen != h->len)
			continue;
		uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
		struct tpl_pkt k = { .len = (uint16_t)h->caplen, .l3 = 14 };
		const uint8_t *src, *dst;
		if (et == 0x0800) {
			k.ipv = 4;
			k.proto = d[14 + 9];
			k.l4 = (uint16_t)(14 + (d[14] & 0xf) * 4);
			src = d + 26;
			dst = d + 30;
		} else if (et == 0x86dd) {
			k.ipv = 6;
			k.proto = d[14 + 6];
			k.l4 = 54;
			src = d + 22;
			dst = d + 38;
		} else {
			continue;
		}
		if (k.proto != 6 && k.proto != 17 && k.proto != 47 && k.proto != 50)
			continue;
		if (is_client(src, k.ipv))
			k.client_src = 1;
		else if (!is_client(dst, k.ipv))
			continue;
		uint16_t sp = 0, dp = 0;
		if (k.proto == 6) {
			k.pl = (uint16_t)(k.l4 + (d[k.l4 + 12] >> 4) * 4);
		} else if (k.proto == 17) {
			k.pl = (uint16_t)(k.l4 + 8);
		} else {
			k.pl = k.l4;
		}
		if (k.proto == 6 || k.proto == 17) {
			sp = (uint16_t)(d[k.l4] << 8 | d[k.l4 + 1]);
			dp = (uint16_t)(d[k.l4 + 2] << 8 | d[k.l4 + 3]);
		}
		k.plen = k.len > k.pl ? (uint16_t)(k.len - k.pl) : 0;
		/* flow identity: client port, server port, server address */
		uint16_t cport = k.client_src ? sp : dp, svport = k.client_src ? dp : sp;
		const uint8_t *srv = k.client_src ? dst : src;
		int fi;
		for (fi = 0; fi < t->nflows; fi++) {
			struct tpl_flow *f = &t->flows[fi];
			if (f->ipv == k.ipv && f->proto == k.proto && f->sport == cport &&
			    f->dport == svport && !memcmp(f->server, srv, k.ipv == 4 ? 4 : 16))
				break;
		}
		if (fi == t->nflows) {
			if (t->nflows == 16)
				continue;
			struct tpl_flow *f = &t->flows[t->nflows++];
			f->ipv = k.ipv;
			f->proto = k.proto;
			f->sport = cport;
			f->dport = svport;
			memcpy(f->server, srv, k.ipv == 4 ? 4 : 16);
			snprintf(f->app, sizeof(f->app), "%s", label_app(t->file, f));
		}
		k.flow = (uint8_t)fi;
		k.data = malloc(k.len);
		memcpy(k.data, d, k.len);
		/* identifiers to rewrite */
		const uint8_t *pl = k.data + k.pl;
		if (!strcmp(t->kind, "openvpn") && k.plen >= 12) {
			const uint8_t *o = k.proto == 6 ? pl + 2 : pl;
			uint8_t op = o[0] >> 3;
			if (op == 7 || op == 8 || op == 10 || op == 3 || op == 4 || op == 5)
				add_id(t, o + 1);
		} else if (!strcmp(t->kind, "ike") && k.proto == 17 && k.plen >= 28) {
			const uint8_t *o = pl;
			if (k.plen >= 32 && !o[0] && !o[1] && !o[2] && !o[3])
				o += 4; /* NAT-T non-ESP marker */
			else if (sp != 500 && dp != 500)
				o = NULL; /* ESP on 4500 */
			if (o && (o[17] == 0x10 || o[17] == 0x20)) {
				add_id(t, o);
				add_id(t, o + 8);
			}
		}
		if (k.proto == 17 && k.plen >= 32) {
			if (k.client_src)
				t->last_c2s = t->npkts;
			else
				t->last_s2c = t->npkts;
		}
		t->pkts[t->npkts++] = k;
	}
	pcap_close(p);
	if (!t->npkts) {
		fprintf(stderr, "tundra-gen: %s: no usable packets\n", path);
		return -1;
	}
	return 0;
}

/* ---- the mix ------------------------------------------------------------ */

static struct tpl vpn_tpls[] = {
	{ .file = "wireguard-udp51820.pcap", .kind = "wireguard", .vpn = true, .extend = true },
	{ .file = "wireguard-udp443-v6.pcap", .kind = "wireguard", .vpn = true, .extend = true },
	{ .file = "openvpn-udp1194.pcap", .kind = "openvpn", .vpn = true, .extend = true },
	{ .file = "openvpn-udp-tlscrypt.pcap", .kind = "openvpn", .vpn = true, .extend = true },
	{ .file = "openvpn-udp-tlsauth.pcap", .kind = "openvpn", .vpn = true, .extend = true },
	{ .file = "openvpn-tcp443.pcap", .kind = "openvpn", .vpn = true },
	{ .file = "openvpn-tcp-tlscrypt.pcap", .kind = "openvpn", .vpn = true },
	{ .file = "ikev2-udp500.pcap", .kind = "ike", .vpn = true },
	{ .file = "ikev2-natt-4500.pcap", .kind = "ike", .vpn = true, .extend = true },
	{ .file = "ikev2-libipsec.pcap", .kind = "ike", .vpn = true, .extend = true },
	{ .file = "ikev1-main.pcap", .kind = "ike", .vpn = true, .extend = true },
	{ .file = "l2tp-1701.pcap", .kind = "", .vpn = true },
	{ .file = "pptp-1723.pcap", .kind = "", .vpn = true },
	{ .file = "openconnect-ocserv.pcap", .kind = "", .vpn = true },
	{ .file = "softether.pcap", .kind = "", .vpn = true },
};
#define N_VPN (int)(sizeof(vpn_tpls) / sizeof(vpn_tpls[0]))

static struct tpl other_tpls[] = {
	{ .file = "https-tls13.pcap", .kind = "" },
	{ .file = "https-tls12.pcap", .kind = "" },
	{ .file = "dns.pcap", .kind = "" },
	{ .file = "ssh.pcap", .kind = "" },
};

enum skind { S_TPL, S_QUIC, S_TCP, S_UDP };

/* non-VPN shares (per mille of the non-VPN sessions) */
static int share_tls = 300, share_quic = 200, share_dns = 150, share_ssh = 50, share_tcp = 150,
	   share_udp = 150;

static double vpn_share = 0.2;
static uint64_t n_flows = 100000, pkts_per_flow = 16;
static double rate = 10000, concurrent = 10000;
static int size_mode; /* 0 = 64, 1 = imix, 2 = real */
static bool ipv6_synth = true;
static int no_template; /* --mix plain: only synthetic plain TCP/UDP */
static int ip_ttl = 64;

struct sess {
	enum skind kind;
	struct tpl *t;
	uint32_t npkts;
};

static void session_of(uint64_t s, struct sess *o)
{
	uint64_t r = h3(s, 0, 0);
	double u = (double)(r >> 11) / 9007199254740992.0;
	o->t = NULL;
	if (no_template) {
		o->kind = (r & 1) ? S_UDP : S_TCP;
		o->npkts = (uint32_t)pkts_per_flow;
		return;
	}
	if (u < vpn_share) {
		o->kind = S_TPL;
		o->t = &vpn_tpls[(r >> 3) % N_VPN];
	} else {
		int tot = share_tls + share_quic + share_dns + share_ssh + share_tcp + share_udp;
		int x = (int)((r >> 5) % (uint64_t)tot);
		o->kind = S_TPL;
		if ((x -= share_tls) < 0)
			o->t = &other_tpls[(r >> 40) & 1];
		else if ((x -= share_dns) < 0)
			o->t = &other_tpls[2];
		else if ((x -= share_ssh) < 0)
			o->t = &other_tpls[3];
		else if ((x -= share_quic) < 0)
			o->kind = S_QUIC;
		else if ((x -= share_tcp) < 0)
			o->kind = S_TCP;
		else
			o->kind = S_UDP;
	}
	if (o->t) {
		o->npkts = (uint32_t)o->t->npkts;
		if (o->t->extend && o->npkts < pkts_per_flow)
			o->npkts = (uint32_t)pkts_per_flow;
	} else {
		o->npkts = (uint32_t)pkts_per_flow;
	}
}

/* frame size (no FCS) of synthetic packet j of session s */
static uint16_t pick_size(uint64_t s, uint32_t j)
{
	uint64_t r = h3(s, j, 7);
	switch (size_mode) {
	case 0:
		return 60;
	case 1: { /* simple IMIX 7:4:1 of 64/594/1518-byte frames (incl. FCS) */
		int x = (int)(r % 12);
		return x < 7 ? 60 : x < 11 ? 590 : 1514;
	}
	default: { /* realistic: bimodal, small ACK-like and full-size, some middle */
		int x = (int)(r % 100);
		if (x < 45)
			return (uint16_t)(60 + (r >> 8) % 40);
		if (x < 60)
			return (uint16_t)(100 + (r >> 8) % 500);
		if (x < 70)
			return (uint16_t)(600 + (r >> 8) % 800);
		return (uint16_t)(1400 + (r >> 8) % 115);
	}
	}
}

/* ---- frame building ----------------------------------------------------- */

static uint8_t rnd_pool[65536 + MAX_FRAME];

/*
 * n random payload bytes for packet j of session s: a window of the pool,
 * XORed with a key of the packet's own. Windows alone overlap (two packets'
 * windows share bytes once in a few hundred pairs), and a payload that
 * repeats part of an earlier one is structure no encrypted or random traffic
 * has: a validator that chains datagrams (SoftEther's IVs) would read it as
 * its protocol.
 */
static void rnd_payload(uint8_t *dst, size_t n, uint64_t s, uint64_t j)
{
	const uint8_t *src = rnd_pool + (h3(s, j, 3) & 0xffff);
	uint64_t key = h3(s, j, 4);
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] ^ (uint8_t)(key >> (8 * (i & 7)));
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	while (n > 1) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
	}
	if (n)
		s += (uint32_t)(p[0] << 8);
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Fixes the checksums of an Ethernet/IP frame of length len and, with fixlen,
 * its IP and UDP lengths (without, lengths come from the IP header, so
 * Ethernet padding stays padding).
 */
static void finish(uint8_t *f, int len, int ipv, int proto, int l4, int fixlen)
{
	uint32_t s = 0;
	if (!fixlen)
		len = 14 + (ipv == 4 ? (f[16] << 8 | f[17]) : 40 + (f[18] << 8 | f[19]));
	int l4len = len - l4;
	if (ipv == 4) {
		uint8_t *ip = f + 14;
		if (fixlen) {
			ip[2] = (uint8_t)((len - 14) >> 8);
			ip[3] = (uint8_t)(len - 14);
		}
		ip[10] = ip[11] = 0;
		uint16_t c = csum_fold(csum_add(0, ip, (size_t)(l4 - 14)));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		s = csum_add(0, ip + 12, 8);
	} else {
		uint8_t *ip = f + 14;
		if (fixlen) {
			ip[4] = (uint8_t)(l4len >> 8);
			ip[5] = (uint8_t)l4len;
		}
		s = csum_add(0, ip + 8, 32);
	}
	if (proto == 17 && fixlen) {
		f[l4 + 4] = (uint8_t)(l4len >> 8);
		f[l4 + 5] = (uint8_t)l4len;
	}
	int co = proto == 17 ? 6 : proto == 6 ? 16 : -1;
	if (co < 0)
		return;
	s += (uint32_t)proto + (uint32_t)l4len;
	f[l4 + co] = f[l4 + co + 1] = 0;
	uint16_t c = csum_fold(csum_add(s, f + l4, (size_t)l4len));
	if (proto == 17 && c == 0)
		c = 0xffff;
	f[l4 + co] = (uint8_t)(c >> 8);
	f[l4 + co + 1] = (uint8_t)c;
}

static void client_addr(uint64_t s, int ipv, uint8_t *a)
{
	if (ipv == 4) {
		uint32_t v = (10u << 24) + (uint32_t)(s & 0xffffff) + ((s >> 24) ? (1u << 24) : 0);
		a[0] = (uint8_t)(v >> 24);
		a[1] = (uint8_t)(v >> 16);
		a[2] = (uint8_t)(v >> 8);
		a[3] = (uint8_t)v;
	} else {
		static const uint8_t p[8] = { 0xfd, 0, 0, 0x7e, 0, 0, 0, 0 };
		memcpy(a, p, 8);
		for (int i = 0; i < 8; i++)
			a[8 + i] = (uint8_t)(s >> (56 - 8 * i));
	}
}

static uint16_t client_port(uint64_t s, uint16_t old)
{
	return (uint16_t)(1024 + ((uint32_t)old * 7u + (uint32_t)(s % 64000) * 13u) % 64000u);
}

static void put_be32x(uint8_t *p, uint32_t m)
{
	p[0] ^= (uint8_t)(m >> 24);
	p[1] ^= (uint8_t)(m >> 16);
	p[2] ^= (uint8_t)(m >> 8);
	p[3] ^= (uint8_t)m;
}

static void rewrite_ids(struct tpl *t, uint8_t *pl, int plen, uint64_t s)
{
	if (!strcmp(t->kind, "wireguard") && plen >= 16) {
		uint32_t m = (uint32_t)h3(s, 0, 11);
		switch (pl[0]) {
		case 1:
			put_be32x(pl + 4, m);
			break;
		case 2:
			put_be32x(pl + 4, m);
			put_be32x(pl + 8, m);
			break;
		case 3:
		case 4:
			put_be32x(pl + 4, m);
			break;
		}
		return;
	}
	if (!t->nids)
		return;
	uint64_t m = h3(s, 0, 12);
	for (int i = 0; i + 8 <= plen; i++)
		for (int k = 0; k < t->nids; k++)
			if (pl[i] == t->ids[k][0] && !memcmp(pl + i, t->ids[k], 8)) {
				for (int b = 0; b < 8; b++)
					pl[i + b] ^= (uint8_t)(m >> (8 * b));
				i += 7;
				break;
			}
}

static const uint8_t MAC_C[6] = { 0x02, 0, 0, 0, 0, 0x01 }, MAC_S[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* builds packet j of session s into f; returns the frame length */
static int build(uint64_t s, const struct sess *ss, uint32_t j, uint8_t *f)
{
	if (ss->kind == S_TPL) {
		struct tpl *t = ss->t;
		const struct tpl_pkt *k;
		int len, extra = 0;
		if ((int)j < t->npkts) {
			k = &t->pkts[j];
			len = k->len;
			memcpy(f, k->data, (size_t)len);
		} else {
			/* extension: clone the last data packet of one direction, new payload */
			int idx = ((j & 1) && t->last_s2c >= 0) || t->last_c2s < 0 ? t->last_s2c : t->last_c2s;
			k = &t->pkts[idx];
			int keep = k->pl + 16;
			len = pick_size(s, j);
			if (len < keep)
				len = keep;
			if (!strcmp(t->kind, "wireguard")) /* transport data: 16 + 16n bytes */
				len = k->pl + 32 + ((len - k->pl - 32 + 15) / 16) * 16;
			if (len > 1514 && strcmp(t->kind, "wireguard"))
				len = 1514;
			memcpy(f, k->data, (size_t)keep);
			rnd_payload(f + keep, (size_t)(len - keep), s, j);
			if (!strcmp(t->kind, "wireguard")) { /* counter */
				uint64_t ctr = j;
				for (int b = 0; b < 8; b++)
					f[k->pl + 8 + b] = (uint8_t)(ctr >> (8 * b));
			}
			extra = 1;
		}
		uint8_t *src = k->ipv == 4 ? f + 26 : f + 22, *dst = k->ipv == 4 ? f + 30 : f + 38;
		uint8_t *cl = k->client_src ? src : dst;
		client_addr(s, k->ipv, cl);
		if (k->proto == 6 || k->proto == 17) {
			uint8_t *pp = f + k->l4 + (k->client_src ? 0 : 2);
			uint16_t np = client_port(s, (uint16_t)(pp[0] << 8 | pp[1]));
			pp[0] = (uint8_t)(np >> 8);
			pp[1] = (uint8_t)np;
		}
		memcpy(f, k->client_src ? MAC_S : MAC_C, 6);
		memcpy(f + 6, k->client_src ? MAC_C : MAC_S, 6);
		if (!extra || !strcmp(t->kind, "wireguard"))
			rewrite_ids(t, f + k->pl, len - k->pl, s);
		if (k->ipv == 4 || k->proto == 6 || k->proto == 17)
			finish(f, len, k->ipv, k->proto, k->l4, extra);
		return len;
	}
	/* synthetic */
	uint64_t r = h3(s, 0, 5);
	int v6 = ipv6_synth && (r % 10 == 0); /* 10% IPv6 */
	int c2s = (j & 1) == 0;
	int proto = ss->kind == S_TCP ? 6 : 17;
	int l4 = v6 ? 54 : 34;
	int hl = proto == 6 ? 20 : 8;
	int len = pick_size(s, j);
	if (ss->kind == S_QUIC && j < 2)
		len = 1242 + (v6 ? 20 : 0); /* 1200-byte UDP payload, as QUIC Initials are */
	if (proto == 6 && (j < 2 || (ss->npkts >= 5 && j == ss->npkts - 1)))
		len = l4 + hl; /* SYN, SYN-ACK, FIN: no payload */
	if (len < l4 + hl)
		len = l4 + hl;
	if (len < 60)
		len = 60;
	memset(f, 0, (size_t)(l4 + hl));
	memcpy(f, c2s ? MAC_S : MAC_C, 6);
	memcpy(f + 6, c2s ? MAC_C : MAC_S, 6);
	uint8_t cip[16], sip[16];
	client_addr(s, v6 ? 6 : 4, cip);
	if (v6) {
		static const uint8_t p[8] = { 0xfd, 0, 0, 0x7f, 0, 0, 0, 0 };
		memcpy(sip, p, 8);
		memset(sip + 8, 0, 8);
		sip[15] = (uint8_t)(1 + (r >> 8) % 200);
		f[12] = 0x86;
		f[13] = 0xdd;
		f[14] = 0x60;
		f[20] = (uint8_t)proto;
		f[21] = (uint8_t)ip_ttl;
		memcpy(f + 22, c2s ? cip : sip, 16);
		memcpy(f + 38, c2s ? sip : cip, 16);
	} else {
		sip[0] = 203;
		sip[1] = 0;
		sip[2] = 113;
		sip[3] = (uint8_t)(1 + (r >> 8) % 200);
		f[12] = 0x08;
		f[14] = 0x45;
		f[18] = (uint8_t)(j >> 8);
		f[19] = (uint8_t)j;
		f[20] = 0x40; /* DF */
		f[22] = (uint8_t)ip_ttl;
		f[23] = (uint8_t)proto;
		memcpy(f + 26, c2s ? cip : sip, 4);
		memcpy(f + 30, c2s ? sip : cip, 4);
	}
	uint16_t cp = (uint16_t)(1024 + (r >> 20) % 64000);
	uint16_t sp = ss->kind == S_QUIC ? 443 : ss->kind == S_TCP ? (uint16_t)(((r >> 40) & 1) ? 80 : 8000 + (r >> 41) % 1000)
							   : (uint16_t)(10000 + (r >> 40) % 50000);
	uint16_t a = c2s ? cp : sp, b = c2s ? sp : cp;
	f[l4] = (uint8_t)(a >> 8);
	f[l4 + 1] = (uint8_t)a;
	f[l4 + 2] = (uint8_t)(b >> 8);
	f[l4 + 3] = (uint8_t)b;
	int pl = l4 + hl;
	rnd_payload(f + pl, (size_t)(len - pl), s, j);
	if (proto == 6) {
		uint32_t iss_c = (uint32_t)(r >> 3), iss_s = (uint32_t)(r >> 29);
		uint8_t flags = j == 0 ? 0x02 : j == 1 ? 0x12 : (ss->npkts >= 5 && j == ss->npkts - 1) ? 0x11 : 0x18;
		uint32_t seq = (c2s ? iss_c : iss_s) + (j >= 2 ? 1 + (j - 2) / 2 * 1400 : 0);
		uint32_t ack = j == 0 ? 0 : (c2s ? iss_s : iss_c) + 1;
		f[l4 + 4] = (uint8_t)(seq >> 24);
		f[l4 + 5] = (uint8_t)(seq >> 16);
		f[l4 + 6] = (uint8_t)(seq >> 8);
		f[l4 + 7] = (uint8_t)seq;
		f[l4 + 8] = (uint8_t)(ack >> 24);
		f[l4 + 9] = (uint8_t)(ack >> 16);
		f[l4 + 10] = (uint8_t)(ack >> 8);
		f[l4 + 11] = (uint8_t)ack;
		f[l4 + 12] = 0x50;
		f[l4 + 13] = flags;
		f[l4 + 14] = 0xff;
		f[l4 + 15] = 0xff;
	} else if (ss->kind == S_QUIC) {
		uint8_t *q = f + pl;
		if (j < 2) { /* long header, version 1, 8-byte connection ids */
			q[0] = 0xc3;
			q[1] = 0;
			q[2] = 0;
			q[3] = 0;
			q[4] = 1;
			q[5] = 8;
			q[14] = 8;
		} else {
			q[0] = (uint8_t)(0x40 | (q[0] & 0x3f)); /* short header */
		}
	}
	finish(f, len, v6 ? 6 : 4, proto, l4, 1);
	return len;
}

/* ---- heap of open sessions ---------------------------------------------- */

struct ev {
	uint64_t t;   /* ns */
	uint32_t s;   /* session (low 32 bits; sessions < 2^32) */
	uint32_t j;   /* next packet */
};

static struct ev *heap;
static size_t hn, hcap;

static inline bool ev_lt(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->s < b->s);
}

static void hpush(struct ev e)
{
	if (hn == hcap) {
		hcap = hcap ? hcap * 2 : 1024;
		heap = realloc(heap, hcap * sizeof(*heap));
		if (!heap) {
			perror("tundra-gen: heap");
			exit(1);
		}
	}
	size_t i = hn++;
	while (i) {
		size_t p = (i - 1) / 2;
		if (!ev_lt(&e, &heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = e;
}

static void hsift(size_t i)
{
	struct ev e = heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= hn)
			break;
		if (c + 1 < hn && ev_lt(&heap[c + 1], &heap[c]))
			c++;
		if (!ev_lt(&heap[c], &e))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = e;
}

/* ---- main --------------------------------------------------------------- */

/* One flood packet: flow s of --flood syn (random=0) or random (random=1). Returns the frame length. */
static int build_flood(uint64_t s, int random, uint8_t *f)
{
	uint64_t r = h3(s, 0, 21), r2 = h3(s, 1, 21);
	int udp = random && (r & 1);
	int l4 = 34, hl = udp ? 8 + 16 : 20;
	int len = l4 + hl < 60 ? 60 : l4 + hl;
	memset(f, 0, (size_t)len);
	memcpy(f, MAC_S, 6);
	memcpy(f + 6, MAC_C, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[22] = (uint8_t)ip_ttl;
	f[23] = udp ? 17 : 6;
	uint32_t src = random ? (uint32_t)(r >> 32) | 0x01000000u : (10u << 24) | (uint32_t)(r >> 40);
	uint32_t dst = random ? (uint32_t)r2 | 0x01000000u : (203u << 24) | (113u << 8) | 80u;
	for (int b = 0; b < 4; b++) {
		f[26 + b] = (uint8_t)(src >> (24 - 8 * b));
		f[30 + b] = (uint8_t)(dst >> (24 - 8 * b));
	}
	uint16_t sp = (uint16_t)(1024 + (r >> 8) % 64000), dp = random ? (uint16_t)(1 + (r2 >> 40) % 65535) : 80;
	f[l4] = (uint8_t)(sp >> 8);
	f[l4 + 1] = (uint8_t)sp;
	f[l4 + 2] = (uint8_t)(dp >> 8);
	f[l4 + 3] = (uint8_t)dp;
	if (udp) {
		memcpy(f + l4 + 8, rnd_pool + (r2 & 0xffff), 16);
	} else {
		put_be32x(f + l4 + 4, (uint32_t)r2); /* sequence number */
		f[l4 + 12] = 0x50;                    /* 20-byte header */
		f[l4 + 13] = 0x02;                    /* SYN */
		f[l4 + 14] = 0xfa;                    /* window 64240 */
		f[l4 + 15] = 0xf0;
	}
	f[16] = (uint8_t)((l4 + hl - 14) >> 8);
	f[17] = (uint8_t)(l4 + hl - 14);
	finish(f, l4 + hl, 4, udp ? 17 : 6, l4, 1);
	return len;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tundra-gen --out FILE.pcap [--flows N] [--concurrent N] [--rate NEW_PER_S]\n"
		"                  [--pkts N] [--sizes 64|imix|real] [--vpn-share F] [--mix default|plain]\n"
		"                  [--seed S] [--pcaps DIR] [--truth FILE.csv] [--no-ipv6]\n"
		"       tundra-gen --out FILE.pcap --flood syn|random [--flows N] [--rate NEW_PER_S] [--seed S]\n");
	exit(2);
}

static void write_truth(FILE *tf, uint64_t s, const struct sess *ss)
{
	struct tpl *t = ss->t;
	for (int i = 0; i < t->nflows; i++) {
		const struct tpl_flow *fl = &t->flows[i];
		if (!fl->app[0])
			continue;
		uint8_t a[16];
		char cs[64], sv[64];
		client_addr(s, fl->ipv, a);
		inet_ntop(fl->ipv == 4 ? AF_INET : AF_INET6, a, cs, sizeof(cs));
		inet_ntop(fl->ipv == 4 ? AF_INET : AF_INET6, fl->server, sv, sizeof(sv));
		const char *l4 = fl->proto == 6 ? "tcp" : fl->proto == 17 ? "udp" : fl->proto == 47 ? "gre" : "esp";
		fprintf(tf, "%" PRIu64 ",%s,%s,%s,%u,%s,%u,%s\n", s, t->file, l4, cs,
			fl->proto == 6 || fl->proto == 17 ? client_port(s, fl->sport) : 0, sv, fl->dport,
			fl->app);
	}
}

static int write_flood(const char *out, int random)
{
	FILE *o = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!o) {
		fprintf(stderr, "tundra-gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(o, NULL, _IOFBF, 1 << 22);
	struct {
		uint32_t magic;
		uint16_t vmaj, vmin;
		int32_t tz;
		uint32_t sig, snap, link;
	} gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	fwrite(&gh, sizeof(gh), 1, o);
	const uint64_t t0 = 1700000000ULL * 1000000000ULL;
	uint8_t frame[MAX_FRAME];
	uint64_t bytes = 0;
	for (uint64_t s = 0; s < n_flows; s++) {
		int len = build_flood(s, random, frame);
		uint64_t t = t0 + (uint64_t)((double)s * 1e9 / rate);
		struct {
			uint32_t s, us, incl, orig;
		} ph = { (uint32_t)(t / 1000000000ULL), (uint32_t)(t % 1000000000ULL / 1000), (uint32_t)len,
			 (uint32_t)len };
		fwrite(&ph, sizeof(ph), 1, o);
		fwrite(frame, (size_t)len, 1, o);
		bytes += (uint64_t)len;
	}
	if (fflush(o) || (o != stdout && fclose(o))) {
		fprintf(stderr, "tundra-gen: %s: write failed\n", out);
		return 1;
	}
	fprintf(stderr, "tundra-gen: %s: %s flood, %" PRIu64 " packets (one new flow each), %" PRIu64 " bytes, %.3f s\n",
		out, random ? "random 5-tuple" : "SYN", n_flows, bytes, (double)n_flows / rate);
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *truth = NULL, *mix = "default", *sizes = "real", *flood = NULL;
	static const struct option lo[] = {
		{ "out", 1, 0, 'o' },     { "flows", 1, 0, 'f' },   { "concurrent", 1, 0, 'c' },
		{ "rate", 1, 0, 'r' },    { "pkts", 1, 0, 'p' },    { "sizes", 1, 0, 'z' },
		{ "vpn-share", 1, 0, 'v' }, { "mix", 1, 0, 'm' },   { "seed", 1, 0, 's' },
		{ "pcaps", 1, 0, 'P' },   { "truth", 1, 0, 't' },   { "no-ipv6", 0, 0, '6' },
		{ "flood", 1, 0, 'F' },   { 0, 0, 0, 0 }
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': n_flows = strtoull(optarg, NULL, 0); break;
		case 'c': concurrent = atof(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'p': pkts_per_flow = strtoull(optarg, NULL, 0); break;
		case 'z': sizes = optarg; break;
		case 'v': vpn_share = atof(optarg); break;
		case 'm': mix = optarg; break;
		case 's': g_seed = strtoull(optarg, NULL, 0); break;
		case 'P': pcap_dir = optarg; break;
		case 't': truth = optarg; break;
		case '6': ipv6_synth = false; break;
		case 'F': flood = optarg; break;
		default: usage();
		}
	}
	if (!out || n_flows == 0 || n_flows >= (1ULL << 32) || rate <= 0 || concurrent <= 0 ||
	    pkts_per_flow < 1 || pkts_per_flow > 100000)
		usage();
	if (!strcmp(sizes, "64"))
		size_mode = 0;
	else if (!strcmp(sizes, "imix"))
		size_mode = 1;
	else if (!strcmp(sizes, "real"))
		size_mode = 2;
	else
		usage();
	if (!strcmp(mix, "plain"))
		no_template = 1;
	else if (strcmp(mix, "default"))
		usage();
	for (size_t i = 0; i < sizeof(rnd_pool); i++)
		rnd_pool[i] = (uint8_t)h3(i, 0, 99);
	if (flood) {
		if (strcmp(flood, "syn") && strcmp(flood, "random"))
			usage();
		return write_flood(out, !strcmp(flood, "random"));
	}
	if (!no_template) {
		load_labels();
		for (int i = 0; i < N_VPN; i++)
			if (load_tpl(&vpn_tpls[i]))
				return 1;
		for (size_t i = 0; i < sizeof(other_tpls) / sizeof(other_tpls[0]); i++)
			if (load_tpl(&other_tpls[i]))
				return 1;
	}
	FILE *o = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!o) {
		fprintf(stderr, "tundra-gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(o, NULL, _IOFBF, 1 << 22);
	FILE *tf = NULL;
	if (truth) {
		tf = fopen(truth, "w");
		if (!tf) {
			fprintf(stderr, "tundra-gen: %s: %s\n", truth, strerror(errno));
			return 1;
		}
		fprintf(tf, "session,template,l4,client_ip,client_port,server_ip,server_port,app\n");
	}
	struct {
		uint32_t magic;
		uint16_t vmaj, vmin;
		int32_t tz;
		uint32_t sig, snap, link;
	} gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	fwrite(&gh, sizeof(gh), 1, o);

	const uint64_t t0 = 1700000000ULL * 1000000000ULL;
	const double start_gap = 1e9 / rate;             /* ns between session starts */
	const double dur = concurrent / rate * 1e9;      /* ns a session lasts */
	uint64_t next = 0, pkts = 0, bytes = 0, vpn_sessions = 0;
	uint32_t max_open = 0;
	uint8_t frame[MAX_FRAME + 64];
	struct sess ss;
	for (;;) {
		uint64_t ts = next < n_flows ? (uint64_t)(next * start_gap) : UINT64_MAX;
		if (next < n_flows && (hn == 0 || ts <= heap[0].t)) {
			hpush((struct ev){ ts, (uint32_t)next, 0 });
			if (hn > max_open)
				max_open = (uint32_t)hn;
			next++;
			continue;
		}
		if (!hn)
			break;
		struct ev *e = &heap[0];
		session_of(e->s, &ss);
		if (e->j == 0 && ss.kind == S_TPL && ss.t->vpn) {
			vpn_sessions++;
			if (tf)
				write_truth(tf, e->s, &ss);
		}
		int len = build(e->s, &ss, e->j, frame);
		uint64_t t = t0 + e->t;
		struct {
			uint32_t s, us, incl, orig;
		} ph = { (uint32_t)(t / 1000000000ULL), (uint32_t)(t % 1000000000ULL / 1000), (uint32_t)len,
			 (uint32_t)len };
		fwrite(&ph, sizeof(ph), 1, o);
		fwrite(frame, (size_t)len, 1, o);
		pkts++;
		bytes += (uint64_t)len;
		if (e->j + 1 < ss.npkts) {
			/* spread the packets over the session's life, start time in the low bits */
			uint64_t start = (uint64_t)(e->s * start_gap);
			e->j++;
			uint64_t nt = start + (uint64_t)(dur * e->j / (ss.npkts > 1 ? ss.npkts - 1 : 1));
			e->t = nt > e->t ? nt : e->t + 1;
			hsift(0);
		} else {
			heap[0] = heap[--hn];
			if (hn)
				hsift(0);
		}
	}
	if (fflush(o) || (o != stdout && fclose(o))) {
		fprintf(stderr, "tundra-gen: %s: write failed\n", out);
		return 1;
	}
	if (tf)
		fclose(tf);
	fprintf(stderr,
		"tundra-gen: %s: %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
		" sessions (%" PRIu64 " VPN), at most %u open, %.3f s of traffic\n",
		out, pkts, bytes, n_flows, vpn_sessions, max_open,
		((n_flows - 1) * start_gap + dur) / 1e9);
	return 0;
}
