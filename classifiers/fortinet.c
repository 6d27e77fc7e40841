/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fortinet FortiGate SSL VPN classifier (TCP). Owns its patterns and
 * validator; TLS parsing is the shared classifiers/tls.c.
 *
 * What is visible (FortiOS admin guide "SSL VPN", openfortivpn http.c/
 * tunnel.c): the SSL VPN is HTTPS on the FortiGate (443 or 10443). The
 * login (/remote/logincheck), the tunnel request (GET /remote/sslvpn-tunnel
 * with Cookie SVPNCOOKIE=...) and the PPP frames after it are inside TLS.
 * The DTLS variant (FortiOS "dtls-tunnel") sends its "GFtype\0clthello"
 * exchange inside DTLS too, and its ClientHello is a stock one: nothing of
 * it is claimed. Outside encryption only the ClientHello (generic) and, when
 * TLS <= 1.2 is negotiated, the server's certificate are visible. FortiOS
 * ships default certificates that name Fortinet:
 *   - "Fortinet_SSL" (the SSL VPN / admin default): issued by the device's
 *     own "Fortinet_CA_SSL", issuer CN "FortiGate CA";
 *   - "Fortinet_Factory": subject CN = the unit's serial number ("FG..."/
 *     "FGT..."/"FGVM..."), issued by Fortinet's factory CA "fortinet-subca...".
 * So a FortiGate still on its default certificate is recognisable with
 * TLS <= 1.2; with a CA-issued certificate or TLS 1.3 it is not. The same
 * certificate also fronts the FortiGate's HTTPS admin GUI, which this cannot
 * tell apart from the SSL VPN: the decision means "TLS to a FortiGate on its
 * default certificate" and is reported LIKELY (a fingerprint, not structure).
 *
 * Decisions (never from the port):
 *   LIKELY "tls12-server-certificate-issuer-fortigate-ca",
 *   LIKELY "tls12-server-certificate-fortinet-factory-serial": the TLS
 *       ClientHello at stream offset 0, then in the server's first flight a
 *       ServerHello selecting TLS <= 1.2 and a Certificate whose first
 *       certificate has those names. The flight is read from the server's
 *       first segment and from later segments only where one starts (or
 *       contains) a record boundary that was predicted; a certificate whose
 *       names lie past a segment end is given up (no reassembly).
 *   LIKELY "tls12-server-certificate-issuer-fortigate-ca-one-dir",
 *   LIKELY "tls12-server-certificate-fortinet-factory-serial-one-dir": the
 *       server's side alone (the flow's first payload is its ServerHello
 *       at stream offset 0: the ClientHello was not seen), then the same
 *       flight and certificate checks; the sender of that flight is named
 *       the server. The certificate is the whole evidence either way: the
 *       ClientHello adds nothing FortiGate-specific.
 *   LIKELY "cleartext-get-remote-sslvpn-tunnel-svpncookie": at stream offset
 *       0 an HTTP/1.x `GET /remote/sslvpn-tunnel` carrying SVPNCOOKIE= (only
 *       where TLS is terminated upstream).
 * One direction. The server's side decides as above. The client's side
 * cannot: openfortivpn's ClientHello is its TLS library's stock one, and
 * what would name the SSL VPN (POST /remote/logincheck, GET
 * /remote/fortisslvpn_xml, GET /remote/sslvpn-tunnel, the PPP frames) is
 * inside TLS. A client-only flow is given up (NO) at the client's first
 * bytes past its ClientHello record while no ServerHello was seen: the client
 * only goes on (ClientKeyExchange, Finished, data) once the server's
 * flight reached it, so that flight went by on a path not seen.
 * Cost: every TLS-over-TCP flow is owned by this classifier until the
 * server's ServerHello (NO on TLS 1.3, resumption, or a non-Fortinet
 * certificate) or, seen from the client only, the client's next segment,
 * so no other classifier may need TLS flows after it.
 */
#include "classifier.h"
#include "cls_util.h"
#include "tls.h"

enum ft_step { FT_ST_CLIENT_HELLO = 1, FT_ST_SERVER_HELLO };

struct ft_state {
	uint8_t step;       /* enum ft_step */
	uint8_t server_first; /* the server's flight came first: its side alone */
	uint32_t next;      /* server stream offset of the next record header */
	uint32_t client_end; /* client stream offset just past its ClientHello record */
};
CLS_STATE_FITS(struct ft_state);

static bool
ft_prefix(const struct tls_bytes *b, const char *s)
{
	return b->p != NULL && cls_str_at(b->p, b->len, 0, s);
}

/* The Fortinet default certificate check, NULL when it is not one (one_dir: the server's side alone). */
static const char *
ft_cert_check(const struct tls_server_flight *sf, bool one_dir)
{
	if (tls_bytes_is(&sf->issuer_cn, "FortiGate CA"))
		return one_dir ? "tls12-server-certificate-issuer-fortigate-ca-one-dir" :
				 "tls12-server-certificate-issuer-fortigate-ca";
	if (ft_prefix(&sf->issuer_cn, "fortinet-subca") && ft_prefix(&sf->subject_cn, "FG") &&
	    sf->subject_cn.len >= 10 && sf->subject_cn.len <= 20)
		return one_dir ? "tls12-server-certificate-fortinet-factory-serial-one-dir" :
				 "tls12-server-certificate-fortinet-factory-serial";
	return NULL;
}

static struct cls_verdict
ft_cleartext(const struct cls_pkt *pkt)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, eol = cls_http_request_line(p, n, 1024);

	if (eol == 0 || cls_find(p, n, eol, n, "SVPNCOOKIE=") == UINT32_MAX)
		return cls_ret(CLS_NO, "not-cleartext-sslvpn-tunnel-request");
	return cls_ret_server(CLS_LIKELY, "cleartext-get-remote-sslvpn-tunnel-svpncookie", pkt->dir ^ 1u);
}

/* Owned, from the server: read its flight where a record starts. */
static struct cls_verdict
ft_server(const struct cls_pkt *pkt, struct ft_state *s)
{
	struct tls_server_flight sf;
	uint32_t next = s->next, skip;
	const char *check;

	if (next < pkt->tcp_offset)
		return cls_ret(CLS_NO, "server-record-boundary-missed");
	skip = next - pkt->tcp_offset;
	if (skip >= pkt->len)
		return cls_ret(CLS_MORE, "server-segment-inside-record");
	if (tls_parse_server_flight(pkt->payload + skip, pkt->len - skip, false,
				    s->step == FT_ST_SERVER_HELLO ? TLS_V_12 : 0, &sf) == TLS_BAD)
		return cls_ret(CLS_NO, "server-not-tls-handshake");
	if (sf.have & TLS_SRV_HELLO) {
		if (sf.version > TLS_V_12 || sf.version < TLS_V_SSL3)
			return cls_ret(CLS_NO, "tls13-certificate-encrypted");
		s->step = FT_ST_SERVER_HELLO;
	}
	if (sf.have & TLS_SRV_CERT) {
		check = ft_cert_check(&sf, s->server_first);
		if (check != NULL)
			return cls_ret_server(CLS_LIKELY, check, pkt->dir);
		return cls_ret(CLS_NO, (sf.have & (TLS_SRV_SUBJECT_CN | TLS_SRV_ISSUER_CN)) ?
					       "server-certificate-not-fortigate-default" :
					       "server-certificate-names-not-visible");
	}
	if (sf.have & TLS_SRV_CCS)
		return cls_ret(CLS_NO, "tls-session-resumed-no-certificate");
	if (s->step != FT_ST_SERVER_HELLO && pkt->tcp_offset + skip != 0)
		return cls_ret(CLS_NO, "server-hello-not-at-stream-start");
	s->next = next + sf.next_record;
	return cls_ret(CLS_MORE, "server-flight-await-certificate");
}

static struct cls_verdict
ft_first(const struct cls_pkt *pkt, void *st)
{
	struct ft_state *s = st;
	struct tls_client_hello ch;

	if (pkt->l4 != CLS_TCP || pkt->payload == NULL || pkt->len == 0)
		return cls_ret(CLS_NO, "not-tcp-payload");
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-stream-start");
	if (cls_str_at(pkt->payload, pkt->len, 0, "GET /remote/sslvpn-tunnel"))
		return ft_cleartext(pkt);
	if (cls_has(pkt->len, TLS_RECORD_HDR, 1) && pkt->payload[0] == TLS_CT_HANDSHAKE &&
	    pkt->payload[TLS_RECORD_HDR] == TLS_HS_SERVER_HELLO) {
		/* The server's side alone: its flight is the first payload. */
		s->server_first = 1;
		return ft_server(pkt, s);
	}
	if (tls_parse_client_hello(pkt->payload, pkt->len, false, &ch) == TLS_BAD ||
	    !(ch.have & TLS_HAVE_VERSION))
		return cls_ret(CLS_NO, "not-tls-clienthello");
	s->step = FT_ST_CLIENT_HELLO;
	s->client_end = TLS_RECORD_HDR + ch.record_len;
	return cls_ret(CLS_MORE, "tls-clienthello-await-server-certificate");
}

static struct cls_verdict
ft_owned(const struct cls_pkt *pkt, void *st)
{
	if (pkt->payload == NULL || pkt->len == 0)
		return cls_ret(CLS_NO, "not-tcp-payload");
	struct ft_state *s = st;

	if (s->server_first) {
		if (pkt->dir != pkt->first_dir)
			return cls_ret(CLS_NO, "server-first-then-other-side");
		return ft_server(pkt, s);
	}
	if (pkt->dir != pkt->first_dir)
		return ft_server(pkt, s);
	/* The client goes on only after the server's flight reached it: not seen, so one side only. */
	if (s->step == FT_ST_CLIENT_HELLO &&
	    (pkt->tcp_offset >= s->client_end || pkt->len > s->client_end - pkt->tcp_offset))
		return cls_ret(CLS_NO, "client-went-on-server-flight-not-seen");
	return cls_ret(CLS_MORE, "client-segment-ignored");
}

static const struct cls_pattern ft_patterns[] = {
	{ "^\\x16\\x03[\\x00-\\x03]..\\x01", CLS_TCP, "fortinet-tls-clienthello" },
	{ "^\\x16\\x03[\\x00-\\x03]..\\x02", CLS_TCP, "fortinet-tls-serverhello" },
	{ "^GET /remote/sslvpn-tunnel", CLS_TCP, "fortinet-sslvpn-tunnel-cleartext" },
};

const struct classifier cls_fortinet = {
	.name = "fortinet",
	.priority = 110,
	.patterns = ft_patterns,
	.n_patterns = sizeof(ft_patterns) / sizeof(ft_patterns[0]),
	.l4 = CLS_TCP,
	/* SYN, SYN-ACK, ACK, ClientHello, ACK, server flight (1-2 segments) */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct ft_state),
	/* It waits for the server on every ClientHello: the readers of ClientHellos must come first. */
	.flags = CLS_F_CLAIMS_CLIENTHELLO,
	.first = ft_first,
	.owned = ft_owned,
};
