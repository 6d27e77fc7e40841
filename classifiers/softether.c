/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SoftEther VPN classifier (TCP, cleartext HTTP only). Owns its pattern and
 * validator.
 *
 * What is visible (SoftEther VPN source, Cedar/Protocol.c
 * ClientUploadSignature/ServerDownloadSignature, Cedar/Connection.h): the
 * native protocol starts TLS first (ports 443/992/1194/5555), then the
 * client sends
 *   POST /vpnsvc/connect.cgi HTTP/1.1, Content-Type: image/jpeg,
 *   body = the fixed "watermark" (a GIF89a image) + random padding,
 * and the server answers with a PACK (SoftEther's key/value serialisation)
 * holding "hello" random bytes -- all inside TLS. The ClientHello comes from
 * SoftEther's OpenSSL and the server certificate is self-signed with an
 * administrator-chosen name: nothing SoftEther-specific outside TLS. The
 * UDP side (NAT traversal, VPN Azure, R-UDP acceleration) is said to carry
 * clear PACKs (protocols.md), but its framing is not documented and no
 * capture was available to check it, so nothing is claimed from it. The
 * protocols SoftEther also serves (OpenVPN, L2TP/IPsec, SSTP) are decided by
 * their own classifiers under their own names.
 * What is recognised: the signature upload in clear, i.e. where TLS is
 * terminated upstream of the server.
 *
 * Decisions (never from the port):
 *   LIKELY "cleartext-post-vpnsvc-connect-cgi-image-jpeg": at stream offset
 *       0 an HTTP/1.x `POST /vpnsvc/connect.cgi` (or /vpnsvc/vpn.cgi) with
 *       a Content-Type: image/jpeg header in the same segment.
 */
#include "classifier.h"
#include "cls_util.h"

static struct cls_verdict
se_validate(const struct cls_pkt *pkt, struct cls_state *st, uint8_t self_id)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, eol;

	(void)st;
	(void)self_id;
	if (pkt->l4 != CLS_TCP || p == NULL || pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-tcp-stream-start");
	if (!cls_str_at(p, n, 0, "POST /vpnsvc/connect.cgi ") &&
	    !cls_str_at(p, n, 0, "POST /vpnsvc/vpn.cgi "))
		return cls_ret(CLS_NO, "not-vpnsvc-post");
	eol = cls_http_request_line(p, n, 128);
	if (eol == 0)
		return cls_ret(CLS_NO, "vpnsvc-request-line-malformed");
	if (cls_find(p, n, eol, n, "\r\nContent-Type: image/jpeg\r\n") == UINT32_MAX)
		return cls_ret(CLS_NO, "vpnsvc-post-without-image-jpeg");
	return cls_ret(CLS_LIKELY, "cleartext-post-vpnsvc-connect-cgi-image-jpeg");
}

static const struct cls_pattern se_patterns[] = {
	{ "^POST /vpnsvc/(connect|vpn)\\.cgi ", CLS_TCP, "softether-vpnsvc-cleartext" },
};

extern const struct classifier cls_softether; /* listed in classifiers.c */

const struct classifier cls_softether = {
	.name = "softether",
	.patterns = se_patterns,
	.n_patterns = sizeof(se_patterns) / sizeof(se_patterns[0]),
	.l4 = CLS_TCP,
	.pkts_needed = 4, /* SYN, SYN-ACK, ACK, request */
	.validate = se_validate,
};
