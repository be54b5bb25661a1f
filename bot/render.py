"""Reply wording: turns knowledge records and triage results into messages.

Every function returns plain data (`{"text": ..., "buttons": [...]}`, the
keyword arguments of Rasa's `dispatcher.utter_message`) so the actions stay
thin and the wording can be tested without Rasa. Facts (numbers, names,
sources) always come from the records passed in, never from this module.
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

Message = dict[str, Any]
Button = dict[str, str]

JUDGEMENT = (
    "This supports, and does not replace, your professional judgement and a "
    "conversation with your safeguarding lead or manager."
)
IMMEDIATE = "If a child is in immediate danger, call 999 now."
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


# --- routes and contacts -------------------------------------------------------


def describe_route(route: Route) -> str:
    """'Single Point of Access (SPA): 020 8547 5008' or the fallback when unknown."""
    if route.phone:
        line = f"{route.name}: {route.phone}"
    elif route.key == "escalation":  # a policy to follow, not a phone line
        line = f"{route.name}. {route.fallback or ''}".strip()
    else:
        line = f"{route.name}: the phone number is not known. {route.fallback or ''}".strip()
    if route.url and route.url not in line:
        line += f" ({route.url})"
    return line


def _when(plan: ContactPlan, stated: bool = False) -> str:
    """The time the route is for: now, or the time the practitioner gave (said back to them)."""
    local = plan.local_time.strftime("%H:%M on %A")
    state = "within" if plan.in_office_hours else "outside"
    assumed = "" if plan.office_hours_known else " (office hours assumed: " + plan.office_hours_note + ")"
    if stated:
        return f"For {local} (UK time), the time you gave: {state} office hours{assumed}."
    return f"It is {local} (UK time), {state} office hours{assumed}."


def contacts(plan: ContactPlan, route_key: str | None, stated: bool = False) -> Message:
    """The route asked for (or the right one for the time of day) for an area; `stated`
    when the plan is for a time the practitioner gave rather than now."""
    assert plan.area is not None
    wanted = getattr(plan, route_key, None) if route_key else None
    lines = [f"{plan.area.name}:"]
    if isinstance(wanted, Route):
        if stated:
            lines.append(_when(plan, stated))
        lines.append(describe_route(wanted))
        if wanted.how:
            lines.append(wanted.how)
        if route_key == "front_door" and not plan.in_office_hours and plan.out_of_hours:
            lines.append(("Out of hours then — " if stated else "Out of hours now — ") + describe_route(plan.out_of_hours))
        source = wanted.citation
    else:
        lines.append(_when(plan, stated))
        lines.append(("Call: " if stated else "Call now: ") + describe_route(plan.now_route))
        if plan.now_route.how:
            lines.append(plan.now_route.how)
        for extra in (plan.front_door, plan.out_of_hours, plan.early_help):
            if extra is not None and extra is not plan.now_route and extra.key != plan.now_route.key:
                lines.append(describe_route(extra))
        source = plan.now_route.citation
    lines.append(f"{IMMEDIATE} NSPCC helpline for adults: {plan.nspcc.phone}.")
    lines.append(f"Source: {source}")
    return message("\n".join(lines))


def national_route(route: Route) -> Message:
    lines = [describe_route(route)]
    if route.how:
        lines.append(route.how)
    if route.note:
        lines.append(route.note)
    lines.append(f"Source: {route.citation}")
    return message("\n".join(lines))


def route_asked(lexicon: Lexicon, entities: Iterable[dict[str, Any]]) -> str | None:
    """The route key a message asks for, from the spaCy `route` entities."""
    for entity in entities:
        if entity.get("entity") != "route":
            continue
        phrase = str(entity.get("value", "")).lower()
        for entry in lexicon.routes:
            if phrase in entry.phrases:
                return entry.target
    return None


def ask_area(areas: Sequence[Area], payload_intent: str, question: str = "triage",
             **carry: Any) -> Message:
    """Which area? One button per area; `carry` keeps other entities in the payload."""
    texts = {
        "triage": f"Which area do you work in? {IMMEDIATE}",
        "contact": "Which area is the child in? I have contacts for these areas (anywhere else, the council's "
                   "children's social care front door is the route, and the NSPCC helpline works everywhere):",
        "escalation": "Which area are you working in? Each partnership has its own escalation policy:",
        "emergency": "Tell me your area and I will give you the local children's social care route:",
    }
    buttons = [button(area.name, payload_intent, area=area.id, **carry) for area in areas]
    return message(texts[question], buttons)


def emergency_route(plan: ContactPlan, areas: Sequence[Area]) -> Message:
    """The local route after the fixed 999 message."""
    if plan.area is None:
        return ask_area(areas, "emergency", question="emergency")
    lines = [
        f"Then tell children's social care in {plan.area.name}.",
        describe_route(plan.now_route),
    ]
    if plan.now_route.key != "front_door" and plan.front_door is not None:
        lines.append("In office hours: " + describe_route(plan.front_door))
    lines.append(f"Source: {plan.now_route.citation}")
    return message("\n".join(lines))


def handoff(plan: ContactPlan, asked: bool = False) -> Message:
    """When I cannot answer, or when asked for a person: the safeguarding lead, and the area's advice line."""
    lines = [
        "Please talk it through with your safeguarding lead or manager."
        if asked else
        "I'm not sure I can answer that from the guidance I hold. Please talk it "
        "through with your safeguarding lead or manager."
    ]
    if plan.area is not None and plan.front_door is not None:
        lines.append("For advice you can also contact " + describe_route(plan.front_door) + ".")
    else:
        lines.append("Your local children's social care front door can also advise; tell me your area for its number.")
    lines.append(f"{IMMEDIATE} NSPCC helpline for adults: {plan.nspcc.phone}.")
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
            "The guidance differs by role. Which is yours?",
            [button(item.title, "show_item", item=item.id) for item in role_items],
        )]
    for index, item in enumerate(items):
        passage = best_passage(item, question) if index == 0 and question else None
        summary = f"{passage}\n\n{item.summary.strip()}" if passage else item.summary.strip()
        buttons: list[Button] = []
        if item.detail:
            buttons.append(button("Tell me more", "tell_me_more", item=item.id))
        guide = store.guide(item.guide) if item.guide else None
        if guide is not None:
            buttons.append(button(guide_label(guide), "ask_guide", item=guide.id))
        reply = message(f"{item.title}\n{summary}\nSource: {item.citation}", buttons)
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
        "sections": [{"title": "Tell me more", "text": reflow(item.detail)}] if item.detail else [],
        "more_payload": payload("tell_me_more", item=item.id) if item.detail else None,
        "url": None,
        "sources": _sources(item.sources),
        "guide": None if guide is None else {"title": guide_label(guide), "url": href(guide.url)},
    }


def more(item: GuidanceItem | None) -> Message:
    if item is None:
        return message("Tell me more about what? Ask me a question about neglect first.")
    text = (item.detail or item.summary).strip()
    return message(f"{item.title} — more detail\n{text}\nSource: {item.citation}")


def did_you_mean(likely: Sequence[GuidanceItem], hits: Sequence[SearchHit],
                 plan: ContactPlan, limit: int = 3) -> list[Message]:
    """Likely topics, then search results, as buttons; then the handoff line."""
    choices = {item.id: item.title for item in likely}
    for hit in hits:
        choices.setdefault(hit.id, hit.title)
    if not choices:
        return [handoff(plan)]
    buttons = [button(title, "show_item", item=item_id) for item_id, title in list(choices.items())[:limit]]
    return [
        message("I'm not sure what you meant. Did you mean one of these?", buttons),
        message(
            "If none of these fits, talk to your safeguarding lead or manager. "
            f"{IMMEDIATE}"
        ),
    ]


# --- one-minute guides ----------------------------------------------------------


def guide_label(guide: Guide) -> str:
    """'One-minute guide: <title>', unless the title already says so."""
    if re.search(r"one[- ]minute guide", guide.title, re.IGNORECASE):
        return guide.title
    return f"One-minute guide: {guide.title}"


def guide_card(guide: Guide) -> Message:
    lines = [
        guide_label(guide),
        f"What it is: {guide.what.strip()}",
        f"Why it matters: {guide.why.strip()}",
        f"What to do: {guide.todo.strip()}",
        f"Where to find more: {guide.more.strip()}",
    ]
    if guide.url:
        lines.append(guide.url)
    lines.append(f"Source: {guide.citation}")
    card = message("\n".join(lines))
    card["json_message"] = {
        "type": ANSWER_TYPE,
        "title": guide_label(guide),
        "summary": f"What it is: {reflow(guide.what)}",
        "sections": [
            {"title": "Why it matters", "text": reflow(guide.why)},
            {"title": "What to do", "text": reflow(guide.todo)},
            {"title": "Where to find more", "text": reflow(guide.more)},
        ],
        "more_payload": None,
        "url": href(guide.url),
        "sources": _sources(guide.sources),
        "guide": None,
    }
    return card


def guide_list(guides: Sequence[Guide], not_found: bool = False) -> Message:
    intro = "I could not find that guide. " if not_found else ""
    return message(
        intro + "These one-minute guides and toolkits are available:",
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
    lines = [f"Step {step} of {len(steps)}: {current.title}", current.text]
    if step == len(steps):
        policy = plan.escalation
        if policy is not None:
            lines.append(f"In {plan.area.name}: {policy.name}. {policy.how}".strip())
            if policy.url:
                lines.append(policy.url)
            elif not policy.phone and policy.fallback:
                lines.append(policy.fallback)
        else:
            lines.append(f"I do not hold {plan.area.name}'s escalation policy: ask your safeguarding lead.")
    elif plan.escalation is not None:  # the area's own policy, for when it comes to that
        lines.append(f"{plan.area.name}'s escalation policy: {plan.escalation.name}"
                     + (f" ({plan.escalation.url})" if plan.escalation.url else ""))
    lines.append(escalation.reminder)
    sources = [cite_doc(doc, section) for doc, section in current.sources]
    if step == len(steps) and plan.escalation is not None:
        sources.append(plan.escalation.citation)
    lines.append("Source: " + "; ".join(sources))
    buttons = []
    if step < len(steps):
        buttons.append(button("Done that — what next?", "ask_escalation", step=step + 1))
    return message("\n".join(lines), buttons)


# --- the "am I worried?" triage --------------------------------------------------


def ask_role(roles: Sequence[Role]) -> Message:
    """Optional: the practitioner's role, for role-specific next steps."""
    buttons = [button(role.name, "choose", role=role.id) for role in roles]
    buttons.append(button("Skip this question", "choose", role="not_given"))
    return message(
        "What is your role? (Optional: it lets me add steps that apply to your role.)", buttons
    )


def ask_factors(question: Any, selected: Sequence[str]) -> Message:
    """The multi-select family-factors question, showing what is picked so far."""
    titles = {option.value: option.title for option in question.options}
    text = question.prompt.strip()
    if selected:
        text += "\nSo far: " + "; ".join(titles.get(value, value) for value in selected) + "."
        text += "\nPick another, or press the last button when you have finished."
    buttons = [button(option.title, "choose", triage_answer=option.value)
               for option in question.options if option.value not in selected]
    finish = question.finish
    buttons.append(button(finish.title if not selected else "Done", "choose", triage_answer=finish.value))
    return message(text, buttons)


def reason_lines(reasons: Sequence[Any]) -> list[str]:
    """The rules that fired, in plain English, each with its source."""
    return [f"- {r.text.strip()} ({r.source_citation})" for r in reasons]


def _level_heading(assessment: Any, level: Level) -> str:
    return f"Level {assessment.level}: {level.name}"


def _route_lines(level: Level, plan: ContactPlan) -> list[str]:
    lines = []
    for step in level.next_steps:
        line = f"- {step.text.strip()}"
        if step.route is not None:
            route = step.route
            if route.key == "front_door" and not plan.in_office_hours and plan.out_of_hours is not None:
                route = plan.out_of_hours
                line += f" It is now outside office hours: {describe_route(route)}."
            else:
                line += f" {describe_route(route)}."
        lines.append(line)
    return lines


def _result_texts(assessment: Any, level: Level, plan: ContactPlan, role: Role | None) -> list[str]:
    """The result as plain text (REST, the terminal): level and reasons, next steps, judgement."""
    if assessment.emergency:
        lines = [f"{IMMEDIATE} {assessment.next_step.strip()}"]
        if plan.area is not None:
            lines.append(f"Then tell children's social care in {plan.area.name}: {describe_route(plan.now_route)}.")
        lines.append(f"NSPCC helpline for adults: {plan.nspcc.phone}.")
        lines.append(f"Level 4: {level.name}. {JUDGEMENT}")
        return ["\n".join(lines)]
    reasons = reason_lines(assessment.reasons)
    lines = [_level_heading(assessment, level), level.summary.strip()]
    lines.append("Why:" if reasons else "Why: none of the rubric's concerns applied: the needs you described are met.")
    lines.extend(reasons)
    for _, text in assessment.note_texts:
        lines.append(f"Note: {text.strip()}")
    steps = [f"What to do next in {plan.area.name if plan.area else 'your area'}:"]
    steps.extend(_route_lines(level, plan))
    if plan.area is not None and not any(step.route is not None for step in level.next_steps):
        steps.append(f"- If you are unsure, ask for advice: {describe_route(plan.now_route)}.")
    if role is not None:
        steps.extend(f"- For your role ({role.name}): {step.text.strip()}" for step in role.steps[:2])
    steps.append(f"{IMMEDIATE} NSPCC helpline for adults: {plan.nspcc.phone}.")
    steps.append(f"Source: {level.citation}")
    return ["\n".join(lines), "\n".join(steps), JUDGEMENT]


def triage_result(assessment: Any, level: Level, plan: ContactPlan, role: Role | None,
                  store: Any) -> Message:
    """The result as one message: the structured result (`json_message`, Rasa's
    `custom` payload, which the web chat and Teams draw), its plain-text
    fallback (`text`, for REST and the terminal) and the buttons that follow."""
    data = triage_result_data(assessment, level, plan, role, store)
    buttons = [button("Copy a summary", "request_summary"), button("Start again", "start_triage")]
    if data["guide"] is not None:
        buttons.insert(1, {"title": f"Read: {data['guide']['name']}", "payload": data["guide"]["payload"]})
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
    return f"{text} (assumed)" if not hours.known else text


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
    for ref in rule.sources:
        document = store.document(ref.doc)
        found.append({"title": default_rubric().citation([ref]), "url": href(document.url if document else None)})
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
        return "Outside office hours"
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
        first_action = f"{IMMEDIATE} {assessment.next_step.strip()}"
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
            more.extend(f"For your role ({role.name}): {step.text.strip()}" for step in role.steps[:2])
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
        "immediate": f"{IMMEDIATE} NSPCC helpline for adults: {plan.nspcc.phone}.",
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
        "judgement": JUDGEMENT,
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
    lines = ["Summary of an \"am I worried?\" check (no names or identifiers)"]
    if plan.area is not None:
        lines.append(f"Area: {plan.area.name}")
    lines.extend(answer_lines(assessment.answers))
    lines.append(_level_heading(assessment, level))
    lines.extend(f"Reason: {r.text.strip()} ({r.source_citation})" for r in assessment.reasons)
    lines.extend(f"Note: {text.strip()}" for _, text in assessment.note_texts)
    lines.extend(step.replace("- ", "Next step: ", 1) for step in _route_lines(level, plan))
    lines.append(JUDGEMENT)
    return "\n".join(lines)


# --- the threshold quiz ----------------------------------------------------------


def quiz_intro(quiz: Any) -> Message:
    return message(
        f"Threshold quiz: {len(quiz.scenarios)} short, anonymised case scenarios. For each, "
        "pick the continuum-of-need level you think fits; I will tell you what the rubric "
        "says and why."
    )


def quiz_question(quiz: Any, store: Any) -> Message:
    scenario = quiz.current()
    number = len(quiz.picks) + 1
    buttons = [button(f"Level {level.n}: {level.name}", "quiz_answer", quiz_level=level.n)
               for level in (store.level(n, None) for n in range(1, 5))]
    return message(f"Scenario {number} of {len(quiz.scenarios)}: {scenario.title}\n"
                   f"{scenario.vignette.strip()}\nWhich level fits?", buttons)


def quiz_feedback(feedback: Any) -> Message:
    verdict = "Yes — that matches the rubric." if feedback.correct else (
        f"Not quite: you picked level {feedback.picked_level}; the rubric gives level "
        f"{feedback.expected_level}.")
    lines = [verdict, f"Level {feedback.expected_level}: {feedback.expected_level_name}."]
    if feedback.emergency:
        lines.append(IMMEDIATE)
    if feedback.reasons:
        lines.append("Why:")
        lines.extend(reason_lines(feedback.reasons))
    lines.extend(f"Note: {text.strip()}" for _, text in feedback.notes)
    lines.append(f"Teaching point: {feedback.teaching_point.strip()} ({feedback.teaching_citation})")
    lines.append(f"Next step at this level: {feedback.next_step.strip()} ({feedback.next_step_citation})")
    return message("\n".join(lines))


def quiz_score(quiz: Any) -> Message:
    score = quiz.score()
    lines = [f"You got {score.correct} out of {score.total}."]
    revisit = quiz.to_revisit()
    if revisit:
        lines.append("Worth revisiting:")
        lines.extend(f"- {r.topic}: the rubric gives level {r.expected_level} ({r.expected_level_name}), "
                     f"you picked {r.picked_level}" for r in revisit)
    else:
        lines.append("All matched the rubric.")
    lines.append(JUDGEMENT)
    return message("\n".join(lines), [button("Another round", "start_quiz"),
                                      button("I'm worried about a child", "start_triage")])


def quiz_not_running() -> Message:
    return message("There is no quiz running just now.", [button("Quiz me", "start_quiz")])
