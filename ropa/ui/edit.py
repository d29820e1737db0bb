"""Editing the RoPA in the explorer: the author box, the mechanism form, the write as a revision.

Thin: the values are checked by :mod:`ropa.edits` (the importer's checks) and written by
:func:`ropa.revisions.commit` (the store's one write path). The revision number the form was shown
against is kept in the session; a change made by someone else meanwhile is refused and the user is
told to reload (nothing is lost: their values stay in the form).
"""
from __future__ import annotations

import streamlit as st

from .. import edits, revisions
from ..errors import ConflictError, InputError, RopaError
from ..reference import load_mechanisms
from . import state
from .common import plain

NO_MECHANISM = ""
BASE_KEYS = ("edit_base", "add_base", "remove_base", "accept_base", "revert_base", "act_base", "act_add_base",
             "act_remove_base")
YES_NO = {"": "not recorded", "yes": "yes", "no": "no"}


def author() -> str:
    """The author of this session's changes, set in the sidebar (default: the OS user)."""
    st.session_state.setdefault("author", revisions.default_author())
    return st.sidebar.text_input("Your name (author of changes)", key="author",
                                 help="Every change you make is a revision with this name, the time and your "
                                      "reason; see the History page.").strip()


def _mechanisms() -> dict[str, str]:
    m = load_mechanisms()
    return {NO_MECHANISM: "(no mechanism recorded)",
            **{r.id: f"{r.label} ({r.id})" for r in m[["id", "label"]].itertuples(index=False)}}


def stored_graph(version: str):
    """The stored RoPA (kept per store version, shared): what an edit starts from."""
    return state.memo("export", (version,), lambda: state.reading_do(lambda s: s.export()), keep=2)


def _reload(key: str) -> None:
    st.session_state.pop(key, None)
    st.session_state.pop(f"{key}_stale", None)


def base_revision(key: str) -> int:
    """The revision number the form was first shown against (kept until a write or a reload). After a
    refused write (someone else saved first) a Reload button starts again from the current data."""
    if st.session_state.get(f"{key}_stale"):
        st.warning("Someone else changed the RoPA after you opened this form; your change was not saved. "
                   "Reload to see their change, then make yours again.")
        st.button("Reload the current data", key=f"{key}_reload", icon=":material/refresh:",
                  on_click=_reload, args=(key,))
    if key not in st.session_state:
        st.session_state[key] = state.reading_do(revisions.head)
    return st.session_state[key]


def flash() -> None:
    """The outcome of the last change (it survives the rerun that shows the new data)."""
    msg = st.session_state.pop("edit_flash", None)
    if msg:
        st.success(plain(msg))


def write(graph, *, reason: str, base_key: str, kind: str = "edit", what: str = "",
          accepted: list[str] | tuple = ()) -> revisions.Revision | None:
    """Write ``graph`` as a revision on top of the revision the form was shown against; say the outcome."""
    ws, _ = state.workspace()
    try:
        with ws.writing() as store:
            rev = revisions.commit(store, graph, author=st.session_state.get("author", ""), reason=reason,
                                   kind=kind, expected=st.session_state.get(base_key), page="Explorer",
                                   accepted=accepted)
    except ConflictError as exc:
        st.session_state[f"{base_key}_stale"] = True
        st.error(plain(f"Not saved: {exc}"))
        st.button("Reload the current data", key=f"{base_key}_reload_now", icon=":material/refresh:",
                  on_click=_reload, args=(base_key,))
        return None
    except InputError as exc:
        st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
        return None
    except RopaError as exc:
        st.error(plain(f"Not saved; the store and its history are unchanged: {exc}"))
        return None
    for k in BASE_KEYS:  # this session's forms show the new data after the rerun: they start from it
        st.session_state.pop(k, None)
    st.session_state["edit_flash"] = (f"Saved as revision {rev.number} by {rev.author}: {rev.reason}"
                                      + (f" ({what})" if what else "") + ". Undo it on the History page.")
    st.rerun()
    return rev


def mechanism_form(version: str, page_name: str, preselect: edits.HopKey | None = None) -> None:
    """Pick a recipient hop, set its mechanism, date, TIA and DPA, give a reason, save (a revision)."""
    base_key = "edit_base"
    base_revision(base_key)
    graph = stored_graph(version)
    hops = edits.hops(graph)
    if not hops:
        st.caption("The RoPA has no recipients to edit.")
        return
    # options are the labels themselves (unique), mapped back to the hop: a format_func is not kept by AppTest
    by_label: dict[str, tuple[edits.HopKey, dict]] = {}
    for k, label, rec in hops:
        while label in by_label:
            label += " "
        by_label[label] = (k, rec)
    if preselect is not None and st.session_state.get("_edit_pre") != preselect.as_text():
        for label, (k, _) in by_label.items():
            if k == preselect:
                st.session_state["_edit_pre"], st.session_state["edit_hop"] = preselect.as_text(), label
    if st.session_state.get("edit_hop") not in by_label:
        st.session_state.pop("edit_hop", None)
    chosen = st.selectbox("Recipient (hop)", list(by_label), key="edit_hop")
    key, rec = by_label[chosen]
    mechs = _mechanisms()
    now = rec.get("mechanism") or NO_MECHANISM
    st.caption(plain(f"Now: {mechs.get(now, now)}; dated {rec.get('mechanism_date') or 'never'}; TIA "
                     f"{_yn(rec.get('tia'))}; DPA {_yn(rec.get('dpa'))}."))
    with st.form("edit_mechanism", clear_on_submit=False):
        mech = st.selectbox("Mechanism", list(mechs), format_func=mechs.get, key="edit_mech",
                            index=list(mechs).index(now) if now in mechs else 0)
        date = st.text_input("Mechanism date (YYYY-MM-DD)", key="edit_date",
                             value=str(rec.get("mechanism_date") or "")[:10])
        tia = st.radio("TIA done", list(YES_NO), format_func=YES_NO.get, key="edit_tia", horizontal=True,
                       index=list(YES_NO).index(_yn_key(rec.get("tia"))))
        dpa = st.radio("DPA (Art. 28 contract)", list(YES_NO), format_func=YES_NO.get, key="edit_dpa",
                       horizontal=True, index=list(YES_NO).index(_yn_key(rec.get("dpa"))))
        reason = st.text_input("Reason (required)", key="edit_reason", placeholder="e.g. SCCs 2021 signed, TIA done")
        submitted = st.form_submit_button("Save change", type="primary")
    if submitted:
        try:
            new = edits.set_hop(graph, key,
                                {"mechanism": mech, "mechanism_date": date, "tia": tia, "dpa": dpa}, page_name)
        except InputError as exc:
            st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
            return
        write(new, reason=reason, base_key=base_key, what=chosen.strip())


def _yn(v) -> str:
    return "not recorded" if v is None else ("yes" if v else "no")


def _yn_key(v) -> str:
    return "" if v is None else ("yes" if v else "no")


def _journal(version: str) -> list[revisions.Revision]:
    return state.memo("revisions", (version,), lambda: state.reading_do(revisions.history), keep=2)


def drafts_section(version: str) -> None:
    """Recipients drafted from a notice that nobody has accepted yet: shown apart; accepting is a revision.
    The RoPA is read only when a notice import was ever recorded."""
    if not state.memo("has_drafts", (version,), lambda: state.reading_do(revisions.has_drafts), keep=2):
        return
    graph = stored_graph(version)
    waiting = revisions.drafts(_journal(version), graph)
    if not waiting:
        return
    labels = {k.as_text(): label for k, label, _ in edits.hops(graph)}
    props = {k.as_text(): rec for k, _, rec in edits.hops(graph)}
    acts = graph.nodes["Activity"].set_index("id") if len(graph.nodes["Activity"]) else None
    for k in waiting:
        if k.startswith("Activity|") and acts is not None:
            a = acts.loc[k.split("|", 1)[1]]
            labels[k] = f"{a['controller']} › {a['name']} (activity)"
            props[k] = {"evidence": a.get("purpose")}
    st.subheader(f"Needs review: {len(waiting)} drafted record(s)")
    st.caption("Drafted by an import marked “needs review” or from a privacy notice (Import a notice), and not "
               "yet accepted by anyone. Until accepted they are left out of the Art. 30 record below, the report "
               "and the findings. Check each against its evidence, correct it with the forms below if needed, then "
               "accept it (a revision; it can be reverted on the History page).")
    st.dataframe([{"record": labels.get(k, k),
                   "mechanism": (props.get(k) or {}).get("mechanism_raw") or (props.get(k) or {}).get("mechanism"),
                   "evidence / purpose": (props.get(k) or {}).get("evidence"), "drafted in revision": n}
                  for k, n in waiting.items()], hide_index=True, width="stretch", key="drafts_table")
    base_key = "accept_base"
    base_revision(base_key)
    by_label = {labels.get(k, k): k for k in waiting}
    with st.form("accept_drafts"):
        chosen = st.multiselect("Accept", list(by_label), default=list(by_label), key="accept_pick")
        reason = st.text_input("Reason (required)", key="accept_reason", placeholder="e.g. checked against the notice")
        go = st.form_submit_button("Accept the chosen drafts")
    if go and not chosen:
        st.error("Not saved: choose the drafts to accept.")
    elif go:
        write(graph, reason=reason, base_key=base_key, kind="accept", what=f"{len(chosen)} draft(s) accepted",
              accepted=[by_label[c] for c in chosen])


def opened(title: str, key: str, preselected: bool = False) -> bool:
    """A switch that opens an edit form: the forms read the whole RoPA, so only when someone edits."""
    if preselected and not st.session_state.get(f"_{key}_auto"):
        st.session_state[f"_{key}_auto"] = st.session_state[key] = True
    return st.toggle(title, key=key)


def recipient_forms(version: str) -> None:
    """Add a recipient (or a sub-processor) to an activity; remove one (behind a switch)."""
    if not opened("Add or remove recipients", "rec_edit_open"):
        return
    graph = stored_graph(version)
    acts = graph.nodes["Activity"]
    if not len(acts):
        return
    orgs = graph.nodes["Organisation"].set_index("id")["name"].to_dict() if len(graph.nodes["Organisation"]) else {}
    act_labels = {f"{orgs.get(c, c)} › {n}": i for i, n, c in zip(acts["id"], acts["name"], acts["controller"])}
    with st.expander("Add a recipient or sub-processor", expanded=True):
        base_key = "add_base"
        base_revision(base_key)
        with st.form("add_recipient"):
            act = st.selectbox("Activity", sorted(act_labels), key="add_activity")
            name = st.text_input("Recipient", key="add_recipient")
            c1, c2, c3 = st.columns(3)
            role = c1.selectbox("Role", ["", "processor", "subprocessor", "controller", "joint_controller"], key="add_role",
                                help="Empty: not recorded (a recipient engaged by another is a sub-processor)")
            engaged = c2.text_input("Engaged by (a recipient of this activity; empty: the controller)", key="add_engaged")
            country = c3.text_input("Country of establishment", key="add_country")
            places = st.text_input("Processing countries (; between them)", key="add_places")
            c4, c5, c6, c7 = st.columns(4)
            mech = c4.text_input("Mechanism (as in a register)", key="add_mech")
            date = c5.text_input("Mechanism date", key="add_date")
            tia = c6.radio("TIA", list(YES_NO), format_func=YES_NO.get, key="add_tia", horizontal=True)
            dpa = c7.radio("DPA", list(YES_NO), format_func=YES_NO.get, key="add_dpa", horizontal=True)
            reason = st.text_input("Reason (required)", key="add_reason")
            go = st.form_submit_button("Add the recipient")
        if go:
            values = {"recipient": name, "recipient_role": role, "engaged_by": engaged, "recipient_country": country,
                      "processing_countries": places, "mechanism": mech, "mechanism_date": date, "tia": tia, "dpa": dpa}
            try:
                new = edits.add_hop(graph, act_labels[act], values, "Record page")
            except InputError as exc:
                st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
            else:
                write(new, reason=reason, base_key=base_key, what=f"{name} added to {act}")
    with st.expander("Remove a recipient"):
        base_key = "remove_base"
        base_revision(base_key)
        hops = {label: k for k, label, _ in edits.hops(graph)}
        with st.form("remove_recipient"):
            label = st.selectbox("Recipient (hop)", list(hops), key="remove_hop")
            reason = st.text_input("Reason (required)", key="remove_reason")
            go = st.form_submit_button("Remove it (and the sub-processors only it engaged)")
        if go and label is not None:
            try:
                new = edits.remove_hop(graph, hops[label], "Record page")
            except InputError as exc:
                st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
            else:
                write(new, reason=reason, base_key=base_key, what=f"removed {label}")


ACTIVITY_LABELS = {"purpose": "Purpose", "legal_basis": "Legal basis (Art. 6)",
                   "special_condition": "Art. 9 condition (special categories)", "retention": "Retention",
                   "security_measures": "Security measures (; between them)",
                   "data_subjects": "Data subjects (; between them)", "data_categories": "Data categories (; between them)"}


def form_tag(activity_id: str) -> str:
    """A short stable tag of an activity for its form's widget keys."""
    import hashlib
    return hashlib.sha1(activity_id.encode()).hexdigest()[:10]


def _activity_fields(prefix: str, values: dict) -> dict:
    out = {}
    c1, c2 = st.columns(2)
    for i, (f, label) in enumerate(ACTIVITY_LABELS.items()):
        out[f] = (c1 if i % 2 == 0 else c2).text_input(label, value=values.get(f, ""), key=f"{prefix}_{f}")
    return out


def activity_forms(version: str) -> None:
    """Change an activity (its Art. 30 fields, data subjects and categories), add one, remove one; each a
    revision, checked and normalised as a register import reads the same row (behind a switch)."""
    if not opened("Add, change or remove activities", "act_edit_open"):
        return
    graph = stored_graph(version)
    acts = graph.nodes["Activity"]
    orgs = graph.nodes["Organisation"].set_index("id")["name"].to_dict() if len(graph.nodes["Organisation"]) else {}
    ctl = graph.rels["CONTROLS"]
    owner = dict(zip(ctl["dst"], ctl["src"]))
    labels = {f"{orgs.get(owner.get(i), c)} › {n}": i for i, n, c in zip(acts["id"], acts["name"], acts["controller"])}
    if labels:
        with st.expander("Change an activity, its data subjects and data categories", expanded=True):
            base_key = "act_base"
            base_revision(base_key)
            label = st.selectbox("Activity", sorted(labels), key="act_pick")
            aid = labels[label]
            # keys per activity: another activity's form starts from its own values
            tag = form_tag(aid)
            with st.form("change_activity"):
                values = _activity_fields(f"act_{tag}", edits.activity_values(graph, aid))
                reason = st.text_input("Reason (required)", key="act_reason")
                go = st.form_submit_button("Save the activity")
            if go:
                try:
                    new = edits.set_activity(graph, aid, values, "Record page")
                except InputError as exc:
                    st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
                else:
                    write(new, reason=reason, base_key=base_key, what=f"{label} changed")
    controllers = {orgs.get(o, o): o for o in sorted(set(ctl["src"]))}
    if controllers:
        with st.expander("Add an activity"):
            base_key = "act_add_base"
            base_revision(base_key)
            with st.form("add_activity"):
                who = st.selectbox("Controller", sorted(controllers), key="act_add_controller")
                name = st.text_input("Activity name", key="act_add_name")
                values = _activity_fields("act_add", {})
                reason = st.text_input("Reason (required)", key="act_add_reason")
                go = st.form_submit_button("Add the activity")
            if go:
                try:
                    new = edits.add_activity(graph, controllers[who], name, values, "Record page")
                except InputError as exc:
                    st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
                else:
                    write(new, reason=reason, base_key=base_key, what=f"{name.strip()} added to {who}")
    if labels:
        with st.expander("Remove an activity"):
            base_key = "act_remove_base"
            base_revision(base_key)
            with st.form("remove_activity"):
                label = st.selectbox("Activity", sorted(labels), key="act_remove_pick")
                reason = st.text_input("Reason (required)", key="act_remove_reason")
                go = st.form_submit_button("Remove it (with its recipients, categories and subjects only it has)")
            if go and label is not None:
                try:
                    new = edits.remove_activity(graph, labels[label], "Record page")
                except InputError as exc:
                    st.error(plain("Not saved: " + "; ".join(str(p) for p in exc.problems)))
                else:
                    write(new, reason=reason, base_key=base_key, what=f"removed {label}")
