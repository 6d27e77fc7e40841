/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Palo Alto GlobalProtect classifier (TCP, cleartext HTTP only). Owns its
 * patterns and validator.
 *
 * What is visible (openconnect gpst.c/auth-globalprotect.c, PAN-OS docs):
 * the portal and gateway are HTTPS; the client's requests
 *   POST /global-protect/prelogin.esp, /global-protect/getconfig.esp (portal)
 *   POST /ssl-vpn/prelogin.esp, login.esp, getconfig.esp, hipreportcheck.esp,
 *        hipreport.esp, logout.esp (gateway)
 *   GET  /ssl-tunnel-connect.sslvpn?user=...&authcookie=...  (TLS tunnel;
 *        the server answers "START_TUNNEL")
 * are all inside TLS, and the ClientHello and certificate (PAN-OS or any
 * CA's) carry nothing GlobalProtect-specific. The IPsec data channel is
 * ESP-in-UDP on 4501 (keys agreed in getconfig.esp, no IKE): its packets are
 * ESP with a random SPI -- that is structure of ESP, not of GlobalProtect,
 * and deciding "GlobalProtect" from it would be deciding from the port; it
 * belongs to an ESP classifier, so it is not claimed here.
 * What is recognised: those requests in clear, i.e. where TLS is
 * terminated upstream of the portal/gateway (or plain HTTP is used).
 *
 * Decisions (never from the port):
 *   LIKELY "cleartext-http-globalprotect-esp-endpoint": at stream offset 0
 *       an HTTP/1.x GET/POST request line whose path is one of the .esp
 *       endpoints above (query string allowed).
 *   LIKELY "cleartext-ssl-tunnel-connect-authcookie": a request line
 *       `GET /ssl-tunnel-connect.sslvpn?` whose query carries authcookie=.
 * protocols.md's "ESP-in-UDP 4501" is right but not, by itself, evidence.
 */
#include "classifier.h"
#include "cls_util.h"

#define GP_MAX_LINE 2048u

static const char *const gp_endpoints[] = {
	"/global-protect/prelogin.esp", "/global-protect/getconfig.esp",
	"/ssl-vpn/prelogin.esp",        "/ssl-vpn/login.esp",
	"/ssl-vpn/getconfig.esp",       "/ssl-vpn/hipreportcheck.esp",
	"/ssl-vpn/hipreport.esp",       "/ssl-vpn/logout.esp",
};

static struct cls_verdict
gp_first(const struct cls_pkt *pkt, void *st)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, eol, path;
	unsigned int i;

	(void)st;
	if (pkt->l4 != CLS_TCP || p == NULL || pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-tcp-stream-start");
	eol = cls_http_request_line(p, n, GP_MAX_LINE);
	if (eol == 0)
		return cls_ret(CLS_NO, "not-http-request");
	if (cls_str_at(p, n, 0, "GET /ssl-tunnel-connect.sslvpn?")) {
		if (cls_find(p, n, 0, eol, "authcookie=") != UINT32_MAX)
			return cls_ret_server(CLS_LIKELY, "cleartext-ssl-tunnel-connect-authcookie", pkt->dir ^ 1u);
		return cls_ret(CLS_NO, "ssl-tunnel-connect-without-authcookie");
	}
	if (cls_str_at(p, n, 0, "POST "))
		path = 5;
	else if (cls_str_at(p, n, 0, "GET "))
		path = 4;
	else
		return cls_ret(CLS_NO, "not-get-or-post");
	for (i = 0; i < sizeof(gp_endpoints) / sizeof(gp_endpoints[0]); i++) {
		uint32_t l = (uint32_t)strlen(gp_endpoints[i]);

		if (cls_str_at(p, n, path, gp_endpoints[i]) && path + l <= eol &&
		    (p[path + l] == ' ' || p[path + l] == '?'))
			return cls_ret_server(CLS_LIKELY, "cleartext-http-globalprotect-esp-endpoint", pkt->dir ^ 1u);
	}
	return cls_ret(CLS_NO, "not-globalprotect-endpoint");
}

static const struct cls_pattern gp_patterns[] = {
	{ "^(GET|POST) /(global-protect|ssl-vpn)/", CLS_TCP, "globalprotect-esp-cleartext" },
	{ "^GET /ssl-tunnel-connect\\.sslvpn\\?", CLS_TCP, "globalprotect-ssl-tunnel-cleartext" },
};

const struct classifier cls_globalprotect = {
	.name = "globalprotect",
	.priority = 120,
	.patterns = gp_patterns,
	.n_patterns = sizeof(gp_patterns) / sizeof(gp_patterns[0]),
	.l4 = CLS_TCP,
	.pkts_needed = 4, /* SYN, SYN-ACK, ACK, request */
	/* It decides on the request alone: it never owns a flow. */
	.first = gp_first,
};
