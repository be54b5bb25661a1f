"""Replies assembled from knowledge records and triage results.

Every function returns plain data (`{"text": ..., "buttons": [...]}`, the
keyword arguments of Rasa's `dispatcher.utter_message`) so the actions stay
thin and replies can be tested without Rasa. The wording is the templates of
knowledge/wording.yml (`say`); facts (numbers, names, sources) always come
from the records passed in. This module only puts them together.
"""
from __future__ import annotations

import json
import re
from typing import Any, TypeGuard
from collections.abc import Iterable, Mapping, Sequence

from bot.knowledge.models import (
    Area,
    ContactPlan,
    Guide,
    GuidanceItem,
    Level,
    Lexicon,
    Role,
    Route,
    SearchHit,
)
from bot.passages import best_passage
from bot.triage import NEEDS, default_rubric
from bot.triage_flow import default_questions
from bot.wording import say

Message = dict[str, Any]
Button = dict[str, str]

NATIONAL_ROUTES = ("emergency", "non_emergency", "nspcc", "childline")
# The `custom` payloads the web chat and Teams draw themselves (their message's text is the fallback).
RESULT_TYPE = "triage_result"
ANSWER_TYPE = "guidance_answer"
# The routes of a level's steps shown as contacts under "What to do now" (out of hours has its own line).
CONTACT_ROUTES = ("front_door", "early_help")


def payload(intent: str, **entities: Any) -> str:
    """A button payload that Rasa parses without NLU: /intent{"entity": "value"}."""
    return f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: Any) -> Button:
    return {"title": title, "payload": payload(intent, **entities)}


def message(text: str, buttons: Sequence[Button] | None = None) -> Message:
    return {"text": text, "buttons": list(buttons)} if buttons else {"text": text}


def judgement() -> str:
    """The line under every result: the rubric's own disclaimer."""
    return default_rubric().disclaimer


def safety_line(plan: ContactPlan) -> str:
    """999 now, and the NSPCC helpline: under every reply a practitioner could act on."""
    return f"{say('immediate')} {say('nspcc', phone=plan.nspcc.phone)}"


# --- routes and contacts -------------------------------------------------------


def describe_route(route: Route) -> str:
    """'Single Point of Access (SPA): 020 8547 5008' or the fallback when unknown."""
    if route.phone:
        line = say("route", name=route.name, phone=route.phone)
    elif route.key == "escalation":  # a policy to follow, not a phone line
        line = say("route_policy", name=route.name, fallback=route.fallback or "").strip()
    else:
        line = say("route_unknown", name=route.name, fallback=route.fallback or "").strip()
    if route.url and route.url not in line:
        line += say("route_link", url=route.url)
    return line


def _when(plan: ContactPlan, stated: bool = False) -> str:
    """The time the route is for: now, or the time the practitioner gave (said back to them)."""
    local = plan.local_time.strftime("%H:%M on %A")
    state = say("within") if plan.in_office_hours else say("outside")
    assumed = "" if plan.office_hours_known else say("hours_assumed", note=plan.office_hours_note)
    return say("time_stated" if stated else "time_now", time=local, state=state, assumed=assumed)


def contacts(plan: ContactPlan, route_key: str | None, stated: bool = False) -> Message:
    """The route asked for (or the right one for the time of day) for an area; `stated`
    when the plan is for a time the practitioner gave rather than now."""
    assert plan.area is not None
    wanted = getattr(plan, route_key, None) if route_key else None
    lines = [say("area_heading", area=plan.area.name)]
    if isinstance(wanted, Route):
        if stated:
            lines.append(_when(plan, stated))
        lines.append(describe_route(wanted))
        if wanted.how:
            lines.append(wanted.how)
        if route_key == "front_door" and not plan.in_office_hours and plan.out_of_hours:
            lines.append(say("out_of_hours_then" if stated else "out_of_hours_now", route=describe_route(plan.out_of_hours)))
        source = wanted.citation
    else:
        lines.append(_when(plan, stated))
        lines.append(say("call_then" if stated else "call_now", route=describe_route(plan.now_route)))
        if plan.now_route.how:
            lines.append(plan.now_route.how)
        for extra in (plan.front_door, plan.out_of_hours, plan.early_help):
            if extra is not None and extra is not plan.now_route and extra.key != plan.now_route.key:
                lines.append(describe_route(extra))
        source = plan.now_route.citation
    lines.append(safety_line(plan))
    lines.append(say("source", citation=source))
    return message("\n".join(lines))


def national_route(route: Route) -> Message:
    lines = [describe_route(route)]
    if route.how:
        lines.append(route.how)
    if route.note:
        lines.append(route.note)
    lines.append(say("source", citation=route.citation))
    return message("\n".join(lines))


# "not 999", "isn't a 999 thing", "non-999": the emergency route named to be ruled out.
_RULED_OUT = re.compile(r"(?:\bnot|\bno|\bnon|n't)(?:\s+(?:a|an|really|quite))?[\s-]*$", re.IGNORECASE)
_POLICE = re.compile(r"\b(?:police|cops?|officers?|pcs?)\b", re.IGNORECASE)
# "if it's not an emergency", "non urgent", "nobody is in danger right now": not a 999 matter.
_NOT_URGENT = re.compile(
    r"\b(?:not|isn'?t|non)[\s-]+(?:an?\s+)?(?:emergency|urgent|immediate|happening\s+(?:right\s+)?now)\b"
    r"|\b(?:no\s?(?:one|body)|nobody)\s+(?:is\s+|being\s+)?in\s+(?:immediate\s+)?danger\b",
    re.IGNORECASE,
)
# Asking to get in touch with someone: "can I ring the NSPCC", "how do I report it to the police".
_CONTACT = re.compile(
    r"\b(?:ring|call|phone|contact|speak\s+to|talk\s+to|get\s+in\s+touch|tell(?!\s+me\b)|let\s+(?:\w+\s+){1,3}know"
    r"|report(?:ing)?\s+(?:\w+\s+){0,2}to|(?:how|where|who|can|should)\s+(?:do|can|should|would)?\s*(?:i|we)\s+report"
    r"|number|no\.?)\b",
    re.IGNORECASE,
)


def says_not_urgent(text: str) -> bool:
    """Whether `text` says the matter is not an emergency ("it isn't urgent", "not an emergency")."""
    return bool(_NOT_URGENT.search(text))


def asks_to_contact(text: str) -> bool:
    """Whether `text` asks how to get in touch with someone (to ring, tell, report to)."""
    return bool(_CONTACT.search(text))


# Asking whom to ring, what number, or when a service is open: "who do i ring", "what
# number do i use", "whos on out of hours", "i need to speak to a duty social worker",
# "what hours is the helpline open". ("should I ring..." asks whether, which the triage answers.)
_WHO_TO_CONTACT = re.compile(
    r"\b(?:who|what|whats|what's|which|how|where)\b(?:\s+\S+){0,6}?\s+(?:ring|call|phone|contact|speak\s+to"
    r"|talk\s+to|get\s+hold\s+of|number|no\.?|line)(?!\w)"
    r"|\bwho(?:'?s|\s+is)\s+on\b|\b(?:number|phone\s+no|contact\s+details?)\s+(?:for|of)\b"
    # a fragment that ends on what it wants: "night time social care number"
    r"|\b(?:number|phone\s+no|contact\s+details?|no\.)\s*\??\s*$"
    r"|\bneed\s+to\s+(?:speak\s+to|talk\s+to|ring|call|phone|contact|get\s+hold\s+of)\b"
    r"|\b(?:what\s+hours|opening\s+(?:hours|times)|(?:is|are)\s+(?:it|they|the\s+\w+(?:\s+\w+)?)\s+open)\b"
    r"|\bwhen\s+(?:is|are|does|do)\b[^.?!]*\bopen\b|\bopen\s+(?:on|at|till|until|over|tonight|today|now)\b",
    re.IGNORECASE,
)
# Who practitioners ring about a child, named without a route's name: social care itself.
_SOCIAL_CARE = re.compile(
    r"\b(?:csc|social\s+care|social\s+services|children'?s\s+services|duty\s+(?:social\s+workers?|team|sw)"
    r"|the\s+duty\s+desk)\b",
    re.IGNORECASE,
)


# Asking where to refer, which is the front door's: "how do i refer to the mash", "who do i
# report it to", "where do i make a referral". ("should I refer?" asks whether.)
_WHERE_TO_REFER = re.compile(
    r"\b(?:how|where|who|whom)\s+(?:do|should|can|could|would|shall|must)\s+(?:i|we)\s+"
    r"(?:refer|report|make\s+a\s+referral|pass\s+(?:it|this|that)\s+on)\b",
    re.IGNORECASE,
)
# Asking whom to ring about a child, naming no route: "not sure who to ring about a kid",
# "...she's safe for now but I need to pass it on tonight - who do I call?".
_WHOM_TO_RING = re.compile(
    r"\bwho(?:m)?\s+(?:(?:do|should|can|could|would|shall|must)\s+(?:i|we)\s+(?:need\s+to\s+)?|to\s+)"
    r"(?:ring|call|phone|contact|speak\s+to|talk\s+to|get\s+hold\s+of|tell)\b",
    re.IGNORECASE,
)
_A_CHILD = re.compile(
    r"\b(?:child|children|kids?|baby|babies|toddlers?|family|families|pupils?|teens?|teenagers?|boy|girl"
    r"|son|daughter|\d+\s*(?:yo|y/o|year\s+old|yr\s+old))\b",
    re.IGNORECASE,
)


def asks_for_a_route(text: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    """Whether `text` asks whom to contact (or when they are open) and names who (a route,
    a `route` entity: the MASH, out of hours, the NSPCC helpline; or social care), asks
    where to refer, or asks whom to ring about a child."""
    if _WHO_TO_CONTACT.search(text) and (
            any(entity.get("entity") == "route" for entity in entities) or _SOCIAL_CARE.search(text)):
        return True
    return bool(_WHERE_TO_REFER.search(text) or (_WHOM_TO_RING.search(text) and _A_CHILD.search(text)))


def route_asked(lexicon: Lexicon, latest: Mapping[str, Any]) -> str | None:
    """The route key the parsed message `latest` asks for, from its spaCy `route` entities.

    An emergency route ruled out ("police number that's not 999") asks for the police's
    non-emergency number when the police are named, and for no route otherwise; so do the
    police named with no route but something not urgent ("nobody is in danger right now")."""
    text = str(latest.get("text") or "")
    for entity in latest.get("entities") or []:
        if entity.get("entity") != "route":
            continue
        target = lexicon.route(str(entity.get("value", "")))
        if target == "emergency" and _RULED_OUT.search(text[: int(entity.get("start") or 0)]):
            if _POLICE.search(text):
                return "non_emergency"
            continue
        if target is not None:
            return target
    if _POLICE.search(text) and says_not_urgent(text):  # "how do I tell the police if it's not an emergency"
        return "non_emergency"
    return None


def ask_area(areas: Sequence[Area], payload_intent: str, question: str = "triage",
             **carry: Any) -> Message:
    """Which area? One button per area; `carry` keeps other entities in the payload."""
    text = say(f"ask_area_{question}")
    if question == "triage":
        text += " " + say("immediate")
    buttons = [button(area.name, payload_intent, area=area.id, **carry) for area in areas]
    return message(text, buttons)


def emergency_route(plan: ContactPlan, areas: Sequence[Area]) -> Message:
    """The local route after the fixed 999 message."""
    if plan.area is None:
        return ask_area(areas, "emergency", question="emergency")
    lines = [say("emergency_then", area=plan.area.name), describe_route(plan.now_route)]
    if plan.now_route.key != "front_door" and plan.front_door is not None:
        lines.append(say("in_office_hours", route=describe_route(plan.front_door)))
    lines.append(say("source", citation=plan.now_route.citation))
    return message("\n".join(lines))


def handoff(plan: ContactPlan, asked: bool = False) -> Message:
    """When I cannot answer, or when asked for a person: the safeguarding lead, and the area's advice line."""
    lines = [say("handoff_asked" if asked else "handoff_unsure")]
    if plan.area is not None and plan.front_door is not None:
        lines.append(say("handoff_front_door", route=describe_route(plan.front_door)))
    else:
        lines.append(say("handoff_no_area"))
    lines.append(safety_line(plan))
    return message("\n".join(lines))


# --- guidance -----------------------------------------------------------------


def pick_items(items: Sequence[GuidanceItem], role: Role | None) -> list[GuidanceItem]:
    """Role-specific items for the practitioner's role when there are any."""
    if role is not None:
        mine = [item for item in items if item.role == role.id]
        if mine:
            return mine
    return [item for item in items if item.role is None] or list(items)


def answer(items: Sequence[GuidanceItem], store: Any, question: str = "") -> list[Message]:
    """Short answers, each with its source, a 'tell me more' and its guide. The passage of
    the first item's detail that answers `question` comes before its short answer."""
    messages: list[Message] = []
    role_items = [item for item in items if item.role]
    if len(role_items) > 1:
        return [message(
            say("role_differs"),
            [button(item.title, "show_item", item=item.id) for item in role_items],
        )]
    for index, item in enumerate(items):
        passage = best_passage(item, question) if index == 0 and question else None
        summary = f"{passage}\n\n{item.summary.strip()}" if passage else item.summary.strip()
        buttons: list[Button] = []
        if item.detail:
            buttons.append(button(say("tell_me_more"), "tell_me_more", item=item.id))
        guide = store.guide(item.guide) if item.guide else None
        if guide is not None:
            buttons.append(button(guide_label(guide), "ask_guide", item=guide.id))
        reply = message(f"{item.title}\n{summary}\n{say('source', citation=item.citation)}", buttons)
        reply["json_message"] = answer_data(item, guide, summary)
        messages.append(reply)
    return messages


def reflow(text: str) -> str:
    """Knowledge text as paragraphs and list items: the YAML's hard line wraps joined, so that a
    channel can break lines where it likes; paragraphs stay apart, and "- " starts a list item."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                continue
            if lines and not line.startswith("- "):
                lines[-1] += " " + line
            else:
                lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def answer_data(item: GuidanceItem, guide: Guide | None, summary: str | None = None) -> dict[str, Any]:
    """A guidance answer as data for the web chat and Teams: a title, the short
    answer, sections to unfold (the detail: "Tell me more" without asking; its
    button's payload is `more_payload`), the sources (links where knowledge
    gives an address) and the guide."""
    return {
        "type": ANSWER_TYPE,
        "title": item.title,
        "summary": reflow(summary or item.summary),
        "sections": [{"title": say("tell_me_more"), "text": reflow(item.detail)}] if item.detail else [],
        "more_payload": payload("tell_me_more", item=item.id) if item.detail else None,
        "url": None,
        "sources": _sources(item.sources),
        "guide": None if guide is None else {"title": guide_label(guide), "url": href(guide.url)},
    }


def more(item: GuidanceItem | None) -> Message:
    if item is None:
        return message(say("more_about_what"))
    text = (item.detail or item.summary).strip()
    return message(f"{say('more_heading', title=item.title)}\n{text}\n{say('source', citation=item.citation)}")


def did_you_mean(likely: Sequence[GuidanceItem], hits: Sequence[SearchHit],
                 plan: ContactPlan, limit: int = 3) -> list[Message]:
    """Likely topics, then search results, as buttons; then the handoff line."""
    choices = {item.id: item.title for item in likely}
    for hit in hits:
        choices.setdefault(hit.id, hit.title)
    if not choices:
        return [handoff(plan)]
    buttons = [button(title, "show_item", item=item_id) for item_id, title in list(choices.items())[:limit]]
    return [message(say("did_you_mean"), buttons), message(f"{say('none_fits')} {say('immediate')}")]


# --- one-minute guides ----------------------------------------------------------


def guide_label(guide: Guide) -> str:
    """'One-minute guide: <title>', unless the title already says so."""
    if re.search(r"one[- ]minute guide", guide.title, re.IGNORECASE):
        return guide.title
    return say("guide_label", title=guide.title)


def guide_card(guide: Guide) -> Message:
    sections = [(say("guide_why_title"), guide.why), (say("guide_todo_title"), guide.todo),
                (say("guide_more_title"), guide.more)]
    lines = [guide_label(guide), say("guide_what", text=guide.what.strip())]
    lines += [f"{title}: {text.strip()}" for title, text in sections]
    if guide.url:
        lines.append(guide.url)
    lines.append(say("source", citation=guide.citation))
    card = message("\n".join(lines))
    card["json_message"] = {
        "type": ANSWER_TYPE,
        "title": guide_label(guide),
        "summary": say("guide_what", text=reflow(guide.what)),
        "sections": [{"title": title, "text": reflow(text)} for title, text in sections],
        "more_payload": None,
        "url": href(guide.url),
        "sources": _sources(guide.sources),
        "guide": None,
    }
    return card


def guide_list(guides: Sequence[Guide], not_found: bool = False) -> Message:
    intro = say("guide_not_found") if not_found else ""
    return message(
        intro + say("guide_list"),
        [button(guide.title, "ask_guide", item=guide.id) for guide in guides],
    )


# --- escalation navigator ------------------------------------------------------


def escalation_step(escalation: Any, step: int, plan: ContactPlan,
                    areas: Sequence[Area], cite_doc: Any) -> Message:
    """Step `step` (1-based) of professional disagreement, with the area's policy."""
    if plan.area is None:
        return ask_area(areas, "ask_escalation", question="escalation")
    steps = escalation.steps
    step = min(max(step, 1), len(steps))
    current = steps[step - 1]
    lines = [say("escalation_step", step=step, steps=len(steps), title=current.title), current.text]
    if step == len(steps):
        policy = plan.escalation
        if policy is not None:
            lines.append(say("escalation_area_policy", area=plan.area.name, name=policy.name, how=policy.how or "").strip())
            if policy.url:
                lines.append(policy.url)
            elif not policy.phone and policy.fallback:
                lines.append(policy.fallback)
        else:
            lines.append(say("escalation_not_held", area=plan.area.name))
    elif plan.escalation is not None:  # the area's own policy, for when it comes to that
        lines.append(say("escalation_policy_named", area=plan.area.name, name=plan.escalation.name)
                     + (say("route_link", url=plan.escalation.url) if plan.escalation.url else ""))
    lines.append(escalation.reminder)
    sources = [cite_doc(ref.doc, ref.section) for ref in current.sources]
    if step == len(steps) and plan.escalation is not None:
        sources.append(plan.escalation.citation)
    lines.append(say("sources", citations="; ".join(sources)))
    buttons = []
    if step < len(steps):
        buttons.append(button(say("escalation_next"), "ask_escalation", step=step + 1))
    return message("\n".join(lines), buttons)


# --- the "am I worried?" triage --------------------------------------------------


def ask_role(roles: Sequence[Role]) -> Message:
    """Optional: the practitioner's role, for role-specific next steps."""
    buttons = [button(role.name, "choose", role=role.id) for role in roles]
    buttons.append(button(say("skip_question"), "choose", role="not_given"))
    return message(say("ask_role"), buttons)


def ask_factors(question: Any, selected: Sequence[str]) -> Message:
    """The multi-select family-factors question, showing what is picked so far."""
    titles = {option.value: option.title for option in question.options}
    text = question.prompt.strip()
    if selected:
        text += "\n" + say("factors_so_far", picked="; ".join(titles.get(value, value) for value in selected))
        text += "\n" + say("factors_pick_another")
    buttons = [button(option.title, "choose", triage_answer=option.value)
               for option in question.options if option.value not in selected]
    finish = question.finish
    buttons.append(button(finish.title if not selected else say("factors_done"), "choose", triage_answer=finish.value))
    return message(text, buttons)


def reason_lines(reasons: Sequence[Any]) -> list[str]:
    """The rules that fired, in plain English, each with its source."""
    return [say("reason", text=r.text.strip(), citation=r.source_citation) for r in reasons]


def _level_heading(assessment: Any, level: Level) -> str:
    return say("level_heading", level=assessment.level, name=level.name)


def _route_lines(level: Level, plan: ContactPlan) -> list[str]:
    lines = []
    for step in level.next_steps:
        line = say("step", text=step.text.strip())
        if step.route is not None:
            route = step.route
            if route.key == "front_door" and not plan.in_office_hours and plan.out_of_hours is not None:
                line += say("step_out_of_hours", route=describe_route(plan.out_of_hours))
            else:
                line += say("step_route", route=describe_route(route))
        lines.append(line)
    return lines


def _result_texts(assessment: Any, level: Level, plan: ContactPlan, role: Role | None) -> list[str]:
    """The result as plain text (REST, the terminal): level and reasons, next steps, judgement."""
    if assessment.emergency:
        lines = [f"{say('immediate')} {assessment.next_step.strip()}"]
        if plan.area is not None:
            lines.append(say("emergency_tell", area=plan.area.name, route=describe_route(plan.now_route)))
        lines.append(say("nspcc", phone=plan.nspcc.phone))
        lines.append(say("emergency_level", name=level.name, judgement=judgement()))
        return ["\n".join(lines)]
    reasons = reason_lines(assessment.reasons)
    lines = [_level_heading(assessment, level), level.summary.strip()]
    lines.append(say("why") if reasons else say("why_none"))
    lines.extend(reasons)
    lines.extend(say("note", text=text.strip()) for _, text in assessment.note_texts)
    steps = [say("next_in_area", area=plan.area.name if plan.area else say("your_area"))]
    steps.extend(_route_lines(level, plan))
    if plan.area is not None and not any(step.route is not None for step in level.next_steps):
        steps.append(say("unsure_ask_advice", route=describe_route(plan.now_route)))
    if role is not None:
        steps.extend(say("step", text=say("for_role", role=role.name, text=step.text.strip()))
                     for step in role.steps[:2])
    steps.append(safety_line(plan))
    steps.append(say("source", citation=level.citation))
    return ["\n".join(lines), "\n".join(steps), judgement()]


def triage_result(assessment: Any, level: Level, plan: ContactPlan, role: Role | None,
                  store: Any) -> Message:
    """The result as one message: the structured result (`json_message`, Rasa's
    `custom` payload, which the web chat and Teams draw), its plain-text
    fallback (`text`, for REST and the terminal) and the buttons that follow."""
    data = triage_result_data(assessment, level, plan, role, store)
    buttons = [button(say("copy_summary"), "request_summary"), button(say("start_again"), "start_triage")]
    if data["guide"] is not None:
        buttons.insert(1, {"title": say("read_guide", name=data["guide"]["name"]), "payload": data["guide"]["payload"]})
    texts = _result_texts(assessment, level, plan, role)
    return {"text": "\n\n".join(texts), "buttons": buttons, "json_message": data}


def is_result(custom: Any) -> TypeGuard[Mapping[str, Any]]:
    """A structured triage result (`triage_result_data`), as a channel receives Rasa's `custom` payload."""
    return isinstance(custom, Mapping) and custom.get("type") == RESULT_TYPE


def is_answer(custom: Any) -> TypeGuard[Mapping[str, Any]]:
    """A structured guidance answer (`answer_data`), as a channel receives Rasa's `custom` payload."""
    return isinstance(custom, Mapping) and custom.get("type") == ANSWER_TYPE


def is_structured(custom: Any) -> TypeGuard[Mapping[str, Any]]:
    """Data a channel draws itself (a result or an answer); its message's text is the plain-text fallback."""
    return is_result(custom) or is_answer(custom)


_WEEKDAYS = (("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"),
             ("sat", "Sat"), ("sun", "Sun"))


def href(url: str | None) -> str | None:
    """A link for an address as knowledge/ writes it ("www.x.gov.uk/y"): https:// added when it has no scheme."""
    if not url:
        return None
    return url if re.match(r"https?://", url) else "https://" + url.lstrip("/")


def tel(phone: str | None) -> str | None:
    """A tel: link for a phone number as knowledge/ writes it ("024 7678 8555" -> "tel:02476788555")."""
    digits = re.sub(r"\D", "", phone or "")
    return f"tel:{digits}" if digits else None


def office_hours_text(area: Area) -> str:
    """The front door's opening times, e.g. "Mon–Thu 08:30–17:00, Fri 08:30–16:00", "(assumed)" when not known."""
    hours = area.office_hours
    runs: list[list[str]] = []  # [first day, last day, start, end]
    previous = None
    for key, day in _WEEKDAYS:
        times = hours.days.get(key)
        if times is None:
            previous = None
            continue
        if previous is not None and runs and runs[-1][2:] == [times.start, times.end]:
            runs[-1][1] = day
        else:
            runs.append([day, day, times.start, times.end])
        previous = day
    text = ", ".join(f"{first}–{last} {start}–{end}" if first != last else f"{first} {start}–{end}"
                     for first, last, start, end in runs)
    return say("hours_assumed_short", hours=text) if not hours.known else text


def _sources(sources: Iterable[Any]) -> list[dict[str, str | None]]:
    """knowledge/ sources as {title, url}: the citation, and a link only where knowledge gives an address."""
    seen: dict[str, str | None] = {}
    for source in sources:
        seen.setdefault(source.label, href(source.url))
    return [{"title": title, "url": url} for title, url in seen.items()]


def _reason_sources(reason: Any, store: Any) -> list[dict[str, str | None]]:
    """A reason's documents as {title, url}: the rubric's references, each document's address if knowledge has one."""
    rule = next((r for r in default_rubric().rules if r.id == reason.rule_id), None)
    if rule is None:
        return [{"title": reason.source_citation, "url": None}]
    found = []
    for source in rule.sources:
        document = store.document(source.doc)
        found.append({"title": source.label, "url": href(document.url if document else None)})
    return found


def _contact(route: Route, hours: str | None, now: bool = False) -> dict[str, Any]:
    """One contact: what the channels show as "label: number — hours", a tel: link, or the fallback route."""
    return {
        "key": route.key,
        "label": route.name,
        "number": route.phone,
        "tel": tel(route.phone),
        "hours": hours,
        "now": now,
        "url": href(route.url),
        "fallback": None if route.phone else (route.fallback or None),
    }


def _hours_for(route: Route, plan: ContactPlan) -> str | None:
    if plan.area is None:
        return None
    if route.key == "front_door":
        return office_hours_text(plan.area)
    if route.key == "out_of_hours":
        return say("hours_outside")
    return None


def triage_result_data(assessment: Any, level: Level, plan: ContactPlan, role: Role | None,
                       store: Any) -> dict[str, Any]:
    """The result as data, in the order a practitioner needs it: the level, what to
    do now (first action, contacts, out of hours), then why (reasons with their
    sources), notes, the other steps, the guide, the copyable summary and the
    judgement line. Only plain JSON values: Rasa stores it in the tracker."""
    guide = _guide_for_level(store, plan)
    steps = [step for step in level.next_steps if not (step.route is not None and step.route.key == "emergency")]
    if assessment.emergency:
        first_action = f"{say('immediate')} {assessment.next_step.strip()}"
        contacts = [_contact(plan.emergency, None, now=True)]
        if plan.area is not None:
            contacts.append(_contact(plan.now_route, _hours_for(plan.now_route, plan)))
        more = []
    else:
        first_action = steps[0].text.strip() if steps else level.summary.strip()
        routes = [step.route for step in level.next_steps
                  if step.route is not None and step.route.key in CONTACT_ROUTES]
        if not routes and plan.area is not None:
            routes = [plan.now_route]  # no route at this level: where to ask for advice
        contacts = [_contact(route, _hours_for(route, plan), now=route.key == plan.now_route.key)
                    for route in dict.fromkeys(routes)]
        # The out-of-hours step is the out-of-hours line.
        more = [step.text.strip() for step in steps[1:]
                if step.route is None or step.route.key != "out_of_hours"]
        if role is not None:
            more.extend(say("for_role", role=role.name, text=step.text.strip()) for step in role.steps[:2])
    out_of_hours = None
    if plan.out_of_hours is not None and plan.area is not None:
        out_of_hours = _contact(plan.out_of_hours, _hours_for(plan.out_of_hours, plan),
                                now=not plan.in_office_hours)
    if out_of_hours is not None and out_of_hours["now"]:  # what to call now comes first
        contacts = [out_of_hours] + [c for c in contacts if c["key"] != "out_of_hours"]
        out_of_hours = None
    shown_routes = [plan.out_of_hours] if out_of_hours is not None and plan.out_of_hours is not None else []
    shown_routes += [route for step in level.next_steps if (route := step.route) is not None
                     and any(route.key == contact["key"] for contact in contacts)]
    sources = _sources([*level.sources, *(s for step in level.next_steps for s in step.sources),
                        *(s for route in shown_routes for s in route.sources)])
    return {
        "type": RESULT_TYPE,
        "level": assessment.level,
        "name": level.name,
        "heading": _level_heading(assessment, level),
        "description": level.summary.strip(),
        "emergency": bool(assessment.emergency),
        "area": plan.area.name if plan.area is not None else None,
        "first_action": first_action,
        "contacts": contacts,
        "out_of_hours": out_of_hours,
        "in_office_hours": plan.in_office_hours,
        "immediate": safety_line(plan),
        "immediate_contacts": [_contact(plan.emergency, None), _contact(plan.nspcc, None)],
        "steps": more,
        "reasons": [{"text": r.text.strip(), "sources": _reason_sources(r, store)} for r in assessment.reasons],
        "notes": [text.strip() for _, text in assessment.note_texts],
        "sources": sources,
        "guide": None if guide is None else {
            "name": guide.title,
            "title": guide_label(guide),
            "url": href(guide.url),
            "payload": payload("ask_guide", item=guide.id),
        },
        "summary": triage_summary(assessment, level, plan),
        "judgement": judgement(),
        "labels": _result_labels(assessment, len(more)),
    }


def _result_labels(assessment: Any, steps: int) -> dict[str, str]:
    """The headings the channels show the result under (knowledge/wording.yml)."""
    reasons, notes = len(assessment.reasons), len(assessment.note_texts)
    return {
        "what_to_do": say("result_what_to_do"),
        "now": say("result_now"),
        "out_of_hours": say("result_out_of_hours"),
        "more_steps": say("result_more_steps", count=steps),
        "why": say("result_why_one" if reasons == 1 else "result_why_many", level=assessment.level, count=reasons),
        "notes": say("result_note") if notes == 1 else say("result_notes", count=notes),
        "sources": say("result_sources"),
    }


def _guide_for_level(store: Any, plan: ContactPlan) -> Guide | None:
    """The area's own neglect toolkit guide when there is one."""
    if plan.area is not None:
        for tool in plan.area.tools:
            if tool.guide:
                guide = store.guide(tool.guide)
                if guide is not None:
                    return guide
    return None


def _question_label(prompt: str) -> str:
    """A question as the summary shows it: up to its first question mark ("How old is the child?")."""
    text = prompt.strip()
    return text[: text.index("?") + 1] if "?" in text else text.splitlines()[0]


def answer_lines(answers: dict[str, Any], questions: Any = None) -> list[str]:
    """Each answer as "<question> <option title>", in the order asked; raw values are never shown
    (an answer with no title is left out)."""
    questions = questions if questions is not None else default_questions()
    lines = []
    for question in questions.questions:
        value = answers.get(NEEDS, {}).get(question.domain) if question.domain else answers.get(question.key)
        if value is None:
            continue
        titles = {option.value: option.title for option in question.options}
        if isinstance(value, list):
            picked = [titles[v] for v in value if v in titles]
            shown = "; ".join(picked) if picked else (question.finish.title if question.finish else None)
        else:
            shown = titles.get(value)
        if shown:
            lines.append(f"{_question_label(question.prompt)} {shown}")
    return lines


def triage_summary(assessment: Any, level: Level, plan: ContactPlan) -> str:
    """A copyable summary: answers (by their button titles), level, reasons, next steps; no identifiers."""
    lines = [say("summary_heading")]
    if plan.area is not None:
        lines.append(say("summary_area", area=plan.area.name))
    lines.extend(answer_lines(assessment.answers))
    lines.append(_level_heading(assessment, level))
    lines.extend(say("summary_reason", text=r.text.strip(), citation=r.source_citation) for r in assessment.reasons)
    lines.extend(say("note", text=text.strip()) for _, text in assessment.note_texts)
    lines.extend(say("summary_next_step", text=step.removeprefix("- ")) for step in _route_lines(level, plan))
    lines.append(judgement())
    return "\n".join(lines)


# --- the threshold quiz ----------------------------------------------------------


def quiz_intro(quiz: Any) -> Message:
    return message(say("quiz_intro", count=len(quiz.scenarios)))


def quiz_question(quiz: Any, store: Any) -> Message:
    scenario = quiz.current()
    number = len(quiz.picks) + 1
    buttons = [button(say("quiz_level_button", level=level.n, name=level.name), "quiz_answer", quiz_level=level.n)
               for level in (store.level(n, None) for n in range(1, 5))]
    heading = say("quiz_scenario", number=number, total=len(quiz.scenarios), title=scenario.title)
    return message(f"{heading}\n{scenario.vignette.strip()}\n{say('quiz_which_level')}", buttons)


def quiz_feedback(feedback: Any) -> Message:
    verdict = say("quiz_right") if feedback.correct else say(
        "quiz_wrong", picked=feedback.picked_level, expected=feedback.expected_level)
    lines = [verdict, say("quiz_level", level=feedback.expected_level, name=feedback.expected_level_name)]
    if feedback.emergency:
        lines.append(say("immediate"))
    if feedback.reasons:
        lines.append(say("why"))
        lines.extend(reason_lines(feedback.reasons))
    lines.extend(say("note", text=text.strip()) for _, text in feedback.notes)
    lines.append(say("quiz_teaching_point", text=feedback.teaching_point.strip(), citation=feedback.teaching_citation))
    lines.append(say("quiz_next_step", text=feedback.next_step.strip(), citation=feedback.next_step_citation))
    return message("\n".join(lines))


def quiz_score(quiz: Any) -> Message:
    score = quiz.score()
    lines = [say("quiz_score", correct=score.correct, total=score.total)]
    revisit = quiz.to_revisit()
    if revisit:
        lines.append(say("quiz_revisit"))
        lines.extend(say("quiz_revisit_item", topic=r.topic, expected=r.expected_level, name=r.expected_level_name,
                         picked=r.picked_level) for r in revisit)
    else:
        lines.append(say("quiz_all_matched"))
    lines.append(judgement())
    return message("\n".join(lines), [button(say("quiz_another_round"), "start_quiz"),
                                      button(say("worried_about_a_child"), "start_triage")])


def quiz_not_running() -> Message:
    return message(say("quiz_not_running"), [button(say("quiz_me"), "start_quiz")])
