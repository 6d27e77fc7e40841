/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table of classifiers and the id <-> name helpers. Adding a
 * protocol = one file exporting a struct classifier + one line here.
 *
 * How the engine drives a classifier (the contract every validator relies on):
 *  - All patterns of all classifiers are compiled into ONE Hyperscan
 *    block-mode database (HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH); every
 *    pattern is anchored with '^' and matched against the start of a
 *    transport payload. A match only makes its classifier a candidate, and
 *    only when the pattern's l4 mask includes the packet's transport.
 *  - Inside the classification window (first packets of a flow, both
 *    directions), for each packet with payload:
 *      owner == 0: scan the payload, call validate() of each candidate in
 *        table order; the first that does not answer CLS_NO takes the packet
 *        (later candidates are not called for it).
 *      owner != 0: no scan; only the owner's validate() is called, for every
 *        payload packet in either direction.
 *  - Results: CLS_NO = not this protocol (for the owner the engine clears
 *    the state: owner = 0, step = 0, data zeroed, and goes back to scanning);
 *    CLS_MORE = plausible, need more packets (from owner == 0 the engine sets
 *    owner = self_id before the next packet); CLS_LIKELY = decided on one
 *    side's structure; CLS_CONFIRMED = decided, both sides agree. LIKELY and
 *    CONFIRMED decide the flow's app at once; `check` (a static string) is
 *    reported with the pattern name and the packet number.
 *  - A validator writes st only when it returns MORE/LIKELY/CONFIRMED, or
 *    when it already owns the flow. Called with owner == 0 it must not trust
 *    step/data (another candidate may have left them) and claims them fresh.
 *  - cls_pkt: payload/len = transport payload only; dir = CLS_C2S for the
 *    side that sent the flow's first packet; pkt_no = 1-based packet number
 *    in the flow over both directions (payload-less TCP packets included);
 *    tcp_offset = payload bytes seen before in this direction (0 for the
 *    first payload segment; in-order assumed). The one exception to "a
 *    segment at a time": a TLS record carrying the client's ClientHello and
 *    split over TCP segments is handed over once, whole, as the client's
 *    first payload (docs/classifiers.md, "Split ClientHello").
 *  - A classifier with no patterns is a candidate for every payload of the
 *    transports in its l4 mask (after the pattern candidates, table order).
 *    CLS_IP covers IP protocols other than TCP and UDP; pkt->ip_proto says
 *    which, and the payload starts after the IP header chain.
 *  - Validators run on the hot path: no allocation, no syscalls, no global
 *    written, every read bounds-checked against len, any bytes accepted.
 * Ids are 1-based indexes into tundra_classifiers[]; 0 = unknown.
 */
#include <string.h>

#include "classifier.h"

extern const struct classifier cls_wireguard;
extern const struct classifier cls_openvpn;
extern const struct classifier cls_ike;
extern const struct classifier cls_l2tp;
extern const struct classifier cls_pptp;
extern const struct classifier cls_esp;
extern const struct classifier cls_gre;
extern const struct classifier cls_openconnect;
extern const struct classifier cls_sstp;
extern const struct classifier cls_fortinet;
extern const struct classifier cls_globalprotect;
extern const struct classifier cls_softether;
extern const struct classifier cls_tinc;
extern const struct classifier cls_zerotier;
extern const struct classifier cls_tailscale;
extern const struct classifier cls_cisco_ipsec;

const struct classifier *const tundra_classifiers[] = {
	&cls_wireguard,
	&cls_openvpn,
	&cls_ike,
	&cls_l2tp,
	&cls_pptp,
	&cls_esp,
	&cls_gre,
	&cls_openconnect,
	&cls_sstp,
	/* before fortinet, which holds every TLS flow until the server's reply */
	&cls_tailscale,
	&cls_fortinet,
	&cls_globalprotect,
	&cls_softether,
	&cls_tinc,
	&cls_zerotier,
	&cls_cisco_ipsec,
};

const unsigned int tundra_n_classifiers =
	sizeof(tundra_classifiers) / sizeof(tundra_classifiers[0]);

int
classifier_id_by_name(const char *name)
{
	unsigned int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < tundra_n_classifiers; i++)
		if (strcmp(tundra_classifiers[i]->name, name) == 0)
			return (int)i + 1;
	return -1;
}

const char *
classifier_name(unsigned int id)
{
	if (id == 0 || id > tundra_n_classifiers)
		return "unknown";
	return tundra_classifiers[id - 1]->name;
}
