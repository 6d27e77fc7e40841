/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SSTP classifier (MS-SSTP, TCP). Owns the SSTP pattern and its validator.
 *
 * What is visible: SSTP is HTTPS. The client's
 *   SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1
 * request (MS-SSTP 2.2.2, 3.2.5.1) and everything after it (SSTP control
 * and data packets, version byte 0x10) travel inside TLS. Outside TLS a
 * ClientHello and, with TLS <= 1.2, the server certificate are visible, and
 * neither carries anything SSTP-specific: Windows' SSTP client uses the
 * system TLS stack (same ClientHello as any other SChannel client) and the
 * server certificate is whatever the administrator installed. So a normal
 * SSTP session over the Internet is NOT recognised by this classifier, and
 * the classifier does not claim TLS flows at all (it would only steal them
 * from classifiers with real cleartext evidence).
 *
 * What it does recognise: the cleartext request itself, which is on the
 * wire where TLS is terminated upstream (RRAS behind an SSL-offloading load
 * balancer, SstpSvc\Parameters\UseHttps = 0, receives plain HTTP), or when
 * someone runs it over plain HTTP. The 128-bit GUID in
 * the path is fixed by the specification, so one segment suffices.
 *
 * Decisions:
 *   LIKELY "cleartext-sstp-duplex-post-sra-guid": at stream offset 0 an
 *       HTTP/1.x request line `SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-
 *       9E23-C84EE0ADCD75}/` (GUID compared case-insensitively).
 *   Anything else: CLS_NO. Never from the port.
 * protocols.md is right on this one: the request is encrypted in practice.
 */
#include <strings.h>

#include "classifier.h"
#include "cls_util.h"

#define SSTP_METHOD "SSTP_DUPLEX_POST /sra_"
#define SSTP_GUID "{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ "
#define SSTP_MAX_LINE 512u

static struct cls_verdict
sstp_first(const struct cls_pkt *pkt, void *st)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, off = (uint32_t)strlen(SSTP_METHOD), glen = (uint32_t)strlen(SSTP_GUID);

	(void)st;
	if (pkt->l4 != CLS_TCP || p == NULL || pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-tcp-stream-start");
	if (!cls_str_at(p, n, 0, SSTP_METHOD) || !cls_has(n, off, glen) ||
	    strncasecmp((const char *)p + off, SSTP_GUID, glen) != 0)
		return cls_ret(CLS_NO, "not-sstp-duplex-post");
	if (cls_http_request_line(p, n, SSTP_MAX_LINE) == 0)
		return cls_ret(CLS_NO, "sstp-request-line-malformed");
	/* The client asks for the tunnel: the other side is the server. */
	return cls_ret_server(CLS_LIKELY, "cleartext-sstp-duplex-post-sra-guid", pkt->dir ^ 1u);
}

static const struct cls_pattern sstp_patterns[] = {
	{ "^SSTP_DUPLEX_POST /sra_\\{", CLS_TCP, "sstp-duplex-post-cleartext" },
};

const struct classifier cls_sstp = {
	.name = "sstp",
	.priority = 90,
	.patterns = sstp_patterns,
	.n_patterns = sizeof(sstp_patterns) / sizeof(sstp_patterns[0]),
	.l4 = CLS_TCP,
	.pkts_needed = 4, /* SYN, SYN-ACK, ACK, request */
	/* It decides on the request alone: it never owns a flow. */
	.first = sstp_first,
};
