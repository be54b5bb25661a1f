"""Replies for what the assistant does not cover: the right route, never a guess.

The wording and the routes are records of knowledge/out_of_scope.yml; this
module only puts them together (numbers come from the national and area
routes, so none is written twice). It also tells whether a message is written
in a language other than English, from the share of its words that are not
English words.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache

from bot.knowledge.models import PLACEHOLDER, Area, Lexicon, OutOfScope, Role, Route
from bot.paths import KNOWLEDGE_DIR
from bot.redaction import NameLists
from bot.render import Message, button, describe_route, message

# A message is read as another language when at least this share of its words
# (and at least MIN_WORDS of them) are not English words.
FOREIGN_SHARE = 0.6
MIN_WORDS = 3
# ...and, to overrule what the classifier read, at least this many: a short English
# fragment with typos or jargon ("wat is neglet", "gdpr and safegaurding") can be mostly
# words no dictionary lists. (A message mostly in another script needs no count.)
OVERRULING_WORDS = 6
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
REDACTED = re.compile(r"\[[a-z ]+\]")


# A child or young person writing about their own home: in the first person, about their
# own family or teacher or giving their own age ("my mum never makes tea", "i sleep on the
# floor with my sisters", "i dont want to tell my teacher", "im 12"). A practitioner writes
# about a child, and says what they are.
_OWN_FAMILY = re.compile(
    r"\bmy\s+(?:mum|mom|mam|mummy|dad|daddy|step\s?(?:mum|dad)|nan|nana|nanna|gran|granny|grandma|grandad|"
    r"grandpa|brothers?|sisters?|siblings?|parents|foster\s+(?:mum|dad|carers?)|teachers?|form\s+tutor"
    r"|head\s+of\s+year)\b", re.IGNORECASE)
# Nobody caring for the writer: "no one washes my clothes", "nobody makes me tea".
_NOBODY_FOR_ME = re.compile(
    r"\b(?:no\s?one|nobody|no\s+body)\s+(?:ever\s+|really\s+|at\s+home\s+)?(?:wash(?:es)?|feeds?|cooks?|makes?|buys?"
    r"|looks?\s+after|cares?\s+(?:for|about)|picks?|takes?|gets?|helps?|brushes|does)\s+(?:me|my)\b",
    re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|me|im|i'm|myself)\b", re.IGNORECASE)
_OWN_AGE = re.compile(r"\b(?:i'?m|i am)\s+(?:[5-9]|1[0-7])\b(?!\s*(?:weeks?|months?|days?|mins?|minutes?))"
                      r"|\b(?:i'?m|i am)\s+in\s+year\s+\d{1,2}\b", re.IGNORECASE)
_PRACTITIONER = re.compile(
    r"\b(?:my|our)\s+(?:pupils?|class|caseload|clients?|students?|patients?|setting|team|practice|ward|service)\b"
    r"|\b(?:i'?m|i am|as)\s+(?:a|an|the)\s+(?:teacher|ta|hv|health visitor|nurse|school nurse|gp|doctor|"
    r"social worker|sw|police|pc|officer|midwife|dsl|childminder|nursery|practitioner|manager|worker|volunteer)\b"
    r"|\b(?:pupil|caseload|safeguarding lead|referral)\b",
    re.IGNORECASE,
)


# Who an adult-safeguarding concern is about: an adult by a word for one, a condition of
# later life, where they live or an age of 18 or more ("my client is 19"). A message
# without one is not about an adult ("social care number for a kid in didcot").
_ADULT = re.compile(
    r"\b(?:adults?|adulthood|elders?|elderly|older|old\s+(?:man|men|woman|women|lady|ladies|gentleman|couple|person|people)"
    r"|pensioners?|oap|grand(?:ma|pa|mother|father|dad|parent)s?|gran|granny|nan|nana|dementia|alzheimer'?s"
    r"|parkinson'?s|self[\s-]?neglect\w*|care\s+homes?|nursing\s+homes?|carers?|residents?|lodgers?|husband|wife"
    r"|gentleman|lady|ladies|man|men|woman|women|neighbours?|patients?"
    r"|(?:1[89]|[2-9]\d|1[01]\d)(?:\s*-?\s*years?[\s-]*old|\s*yo\b)|is\s+(?:1[89]|[2-9]\d)"
    r"|in\s+(?:his|her|their)\s+(?:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties"
    r"|[2-9]0'?s))\b",
    re.IGNORECASE,
)


# What a medical question is about: an illness, a symptom, a part of the body that hurts, a
# medicine, a dose, a treatment or a check of what is normal for a body. A message with none
# ("could you list the main indicators that a child's needs aren't met") is not one.
_MEDICAL = re.compile(
    r"\b(?:medic\w*|symptoms?|rash\w*|fever\w*|febrile|temp|temperatures?|vaccin\w*|immunis\w*|jabs?|mmr|colic"
    r"|cuts?|stitch\w*|jaundice\w*|tonsil\w*|throats?|pain\w*|ach(?:e|es|ing)|earache|headaches?|migraines?|covid"
    r"|ibuprofen|paracetamol|calpol|calprofen|doses?|dosage|antibiotics?|antihistamines?|infect\w*|lice|nits|cream"
    r"|eczema|diagnos\w*|cough\w*|meningitis|sepsis|burns?|scald\w*|stings?|bites?|wetting|medication|adhd|lumps?"
    r"|moles?|swollen|swelling|bruis\w*|chicken\s?pox|measles|mumps|rubella|whooping|croup|bronchiolitis"
    r"|conjunctivitis|impetigo|scarlet|seizures?|convulsions?|epilep\w*|asthma|inhalers?|allerg\w*|epipen"
    r"|anaphyla\w*|hay\s+fever|glue\s+ear|threadworms?|worms|constipat\w*|reflux|flu|colds?|virus|viral"
    r"|diarrh\w*|vomit\w*|sick|tablets?|pills?|prescri\w*|doctors?|heart\s+rate|blood\s+(?:sugar|pressure)"
    r"|honey|yellow\s+skin|weigh|treat(?:s|ed|ing|ment|ments)?|cure|remed\w*|contagious|illness\w*|ill)\b",
    re.IGNORECASE,
)
# A named illness or symptom, with a request for advice on it: how to treat it, its symptoms
# or signs, what to give or do for it, whether it is contagious or normal. With no word of
# care or concern in it ("untreated impetigo, is that neglect?", "mum won't give him his
# inhaler"), it is a medical question only, and NHS 111 or the GP is the route.
_ILLNESS = re.compile(
    r"\b(?:impetigo|scarlet\s+fever|chicken\s?pox|measles|mumps|rubella|whooping\s+cough|croup|bronchiolitis"
    r"|conjunctivitis|tonsillitis|meningitis|sepsis|febrile\s+(?:seizures?|convulsions?)|seizures?|convulsions?"
    r"|epilep\w*|asthma|anaphyla\w*|hay\s+fever|glue\s+ear|ear\s+infections?|urine\s+infections?|threadworms?"
    r"|head\s+lice|nits|eczema|colic|reflux|jaundice|tonsils|hand,?\s+foot\s+and\s+mouth|slapped\s+cheek"
    r"|diarrh\w*|vomiting|fever|temp|temperature|rash|cough|cold|flu|covid|sore\s+throat|earache|wasp\s+sting"
    r"|insect\s+bite|burn|scald|sprain|concussion|nosebleeds?|constipation)\b",
    re.IGNORECASE,
)
_MEDICAL_ASK = re.compile(
    r"\b(?:treat\w*|cure\w*|symptoms?|signs?\s+of|remed\w*|medicine|medication|creams?|doses?|dosage|give|"
    r"what\s+to\s+do\s+(?:for|about|with|if)|contagious|infectious|catching|spread|incubation|normal|serious"
    r"|dangerous|get\s+rid\s+of|how\s+long\s+(?:does|do|is|are|will|for)|difference\s+between"
    r"|tell\s+(?:the\s+)?difference|tell\s+(?:\w+\s+){1,3}(?:from|apart)|spot|recognise|recognize|know\s+if)\b",
    re.IGNORECASE,
)
# What makes a message about an illness a worry about the child's care, beyond whether the
# child attends; and, with who cares for the child and where, anything of the child's care.
_BEYOND_ATTENDING = (r"neglect\w*|safeguard\w*|concern\w*|worr\w*|refer\w*|report\w*|untreated|abuse\w*|harm\w*"
                     r"|level|threshold|keeps?|again|always|never|won'?t|doesn'?t|didn'?t")
_CARE_BEYOND_ATTENDING = re.compile(rf"\b(?:{_BEYOND_ATTENDING})\b", re.IGNORECASE)
_CARE = re.compile(
    rf"\b(?:{_BEYOND_ATTENDING}|parents?|mum|mom|mam|dad|carers?|family|families|home|house|school|nursery"
    r"|social|police|isn'?t|not|no)\b",
    re.IGNORECASE,
)


def names_a_medical_matter(text: str) -> bool:
    """Whether `text` names anything a medical question would be about (an illness, a symptom,
    a medicine, a treatment)."""
    return bool(_MEDICAL.search(text))


# Whether an ill child should be off school or nursery ("can a child with chickenpox still
# come into nursery or do they need to stay off"): public-health advice, the GP's or NHS 111's.
_EXCLUSION_ASK = re.compile(
    r"\b(?:can|could|should|shall|does|do|must|need|needs|have|is|are|will|would)\b[^.?!]{0,60}?\b(?:stay\s+(?:off|home|away|out)"
    r"|(?:keep|kept)\s+(?:\w+\s+)?(?:off|home|away)|be\s+off|(?:still\s+)?(?:come|go)\s+(?:in|into|to|back)\b"
    r"|(?:be\s+)?excluded|exclusion)|\bhow\s+long\s+(?:\w+\s+){0,3}(?:off|away|out)\b",
    re.IGNORECASE,
)


def asks_medical_advice(text: str) -> bool:
    """Whether `text` asks for medical advice on a named illness or symptom ("how do you treat
    impetigo", "what are the symptoms of scarlet fever", "should a child with chickenpox stay
    off nursery"), and about nothing of a child's care."""
    if not _ILLNESS.search(text):
        return False
    if _EXCLUSION_ASK.search(text) and not _CARE_BEYOND_ATTENDING.search(text):
        return True
    return bool(_MEDICAL_ASK.search(text) and not _CARE.search(text))


# Words only an adult-safeguarding concern uses, and the words of a child beside them.
_ONLY_ADULT = re.compile(
    r"\b(?:self[\s-]?neglect\w*|elderly|older\s+(?:person|people|man|men|woman|women|adults?|lady|gentleman)"
    r"|pensioners?|dementia|alzheimer'?s|care\s+homes?|nursing\s+homes?|vulnerable\s+adults?|adult\s+social\s+care"
    r"|adult\s+safeguarding)\b",
    re.IGNORECASE,
)
_A_CHILD = re.compile(
    r"\b(?:child\w*|kids?|bab(?:y|ies)|toddlers?|infants?|newborns?|pupils?|boys?|girls?|teen\w*|sons?|daughters?"
    r"|grand(?:son|daughter|child|children|kids?)s?|young\s+(?:person|people|carers?)|students?|minors?|under\s?18s?"
    r"|(?:[1-9]|1[0-7])\s*-?\s*(?:years?|yrs?|months?|weeks?)[\s-]*old|(?:[1-9]|1[0-7])\s*yo)\b",
    re.IGNORECASE,
)
# Someone who works with children, paid or as a volunteer: who an allegation is about.
_WORKER = (r"(?:teachers?|teaching\s+assistants?|tas?|coach(?:es)?|caretakers?|practitioners?|staff|staff\s+members?"
           r"|members?\s+of\s+staff|colleagues?|assistants?|\w*\s?workers?|foster\s+carers?|volunteers?|childminders?"
           r"|\w*\s?leaders?|professionals?|nurses?|dinner\s+lad(?:y|ies)|tutors?|supervisors?|instructors?"
           r"|employees?|nannies|nanny|au\s+pairs?|babysitters?)")
_A_WORKER = re.compile(
    rf"\b(?:{_WORKER}|lado|designated\s+officers?|my\s+team|whistleblow\w*|position\s+of\s+trust"
    r"|allegations?|alleged|accused|complain\w*)\b",
    re.IGNORECASE,
)
# A concern told about such a person: "worried about a childminder who...", "concern about a teacher".
_ABOUT_A_WORKER = re.compile(
    r"\b(?:worr\w*|concern\w*|uneasy|allegations?|complaints?|complain\w*)\s+(?:about|against|regarding|over)\s+"
    rf"(?:(?:a|an|the|my|our|one\s+of\s+(?:our|the|my))\s+)?(?:\w+\s+)?{_WORKER}\b",
    re.IGNORECASE,
)


_LADO = re.compile(r"\b(?:lado|local\s+authority\s+designated\s+officers?)\b", re.IGNORECASE)


def names_the_lado(text: str) -> bool:
    """Whether `text` names the Local Authority Designated Officer."""
    return bool(_LADO.search(text))


# Children said to be out of it: "no children involved", "there are no kids in the flat".
_NO_CHILD = re.compile(
    r"\b(?:no|not\s+any|without)\s+(?:children|kids|child|under\s?18s?)(?:\s+(?:involved|in\s+the\s+(?:home|house|flat)"
    r"|at\s+home|living\s+there))?\b|\b(?:children|kids)\s+(?:are\s+)?not\s+involved\b",
    re.IGNORECASE,
)


# A child on the way is a child's concern (pre-birth): "pregnant, no children yet".
_EXPECTING = re.compile(r"\b(?:pregnan\w*|unborn|expecting|due\s+date|antenatal|pre[\s-]?birth)\b", re.IGNORECASE)


def speaks_of_an_adult_only(text: str) -> bool:
    """Whether `text` is about an adult at risk, in words only such a concern uses ("self neglect
    in an older person"), or about an adult with children said to be out of it ("woman in her
    30s i support... no children involved"), with no child in it."""
    rest = _NO_CHILD.sub(" ", text)
    if _A_CHILD.search(rest) or _EXPECTING.search(rest):
        return False
    return bool(_ONLY_ADULT.search(rest) or (_NO_CHILD.search(text) and names_an_adult(rest)))


# A worker as the source of what the writer knows, not its subject: "a colleague says it tells you something".
_INFORMANT = re.compile(
    r"\b(?:(?:my|a|our|the)\s+)?(?:colleagues?|manager|supervisor|team\s+leader|mentor)\s+(?:of\s+mine\s+)?"
    r"(?:says?|said|tells?|told|reckons?|thinks?|thought|suggested|mentioned|advised|recommended|asked)\b",
    re.IGNORECASE,
)


def names_a_worker(text: str) -> bool:
    """Whether `text` names someone who works with children, or an allegation or the LADO (a
    colleague who told the writer something is not who a concern is about)."""
    return bool(_A_WORKER.search(_INFORMANT.sub(" ", text)))


def concern_about_a_worker(text: str) -> bool:
    """Whether `text` tells a worry about someone who works with children ("worried about a
    childminder who leaves the kids unsupervised"): an allegation, not the triage."""
    return bool(_ABOUT_A_WORKER.search(text))


def names_an_adult(text: str) -> bool:
    """Whether `text` says who an adult-safeguarding concern would be about."""
    return bool(_ADULT.search(text))


def sounds_like_a_child(text: str) -> bool:
    """Whether `text` reads as a child writing about their own home, not a practitioner."""
    if _PRACTITIONER.search(text):
        return False
    return bool(_OWN_AGE.search(text) or _NOBODY_FOR_ME.search(text)
                or (_OWN_FAMILY.search(text) and _FIRST_PERSON.search(text)))


def fill(text: str, national: Mapping[str, Route]) -> str:
    """The text with each "{route_id}" replaced by that national route's phone number."""
    return " ".join(PLACEHOLDER.sub(lambda m: national[m.group(1)].phone or m.group(0), text).split())


def reply(record: OutOfScope, national: Mapping[str, Route], area: Area | None,
          areas: Sequence[Area] = ()) -> list[Message]:
    """The reply for `record`: its text, its routes, the area's route and the area buttons."""
    lines = [fill(record.text, national)]
    lines.extend(describe_route(national[key]) for key in record.routes)
    buttons = []
    if record.local is not None:
        if area is None:
            lines.append(record.ask_area or "")
            buttons = [button(a.name, record.intent, area=a.id) for a in areas]
        else:
            lines.extend(_local_lines(record, area))
    lines.append(f"Source: {record.citation}")
    messages = [message("\n".join(line for line in lines if line), buttons)]
    if record.areas and areas:
        messages.append(message(record.areas, [button(a.name, "inform_area", area=a.id) for a in areas]))
    return messages


def _local_lines(record: OutOfScope, area: Area) -> list[str]:
    route = area.routes.get(record.local or "")
    if route is not None:
        return [f"{area.name}: {describe_route(route)}"]
    lines = [(record.local_missing or "").replace("{area}", area.name)]
    fallback = area.routes.get(record.local_fallback or "")
    if fallback is not None:
        lines.append(f"{area.name}: {describe_route(fallback)}")
    return lines


def words(text: str) -> list[str]:
    """The words of a message, lower case, accents kept, redaction placeholders left out."""
    return [w.lower() for w in WORD.findall(REDACTED.sub(" ", text))]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The English word list redaction uses (knowledge/safety), read once per process."""
    return NameLists.load(KNOWLEDGE_DIR / "safety", {"english_words": "english_words.txt"}).english_words


def is_other_language(text: str, english: Collection[str], known: Collection[str] = (),
                      min_words: int = MIN_WORDS) -> bool:
    """Whether `text` is written in another language than English.

    `english` holds English words (lower case, apostrophes dropped); `known`
    adds the words the assistant knows beyond them (area names, jargon).
    A message mostly in a script other than Latin is never English; one in
    Latin letters needs `min_words` words to tell.
    """
    found = words(unicodedata.normalize("NFC", text))
    letters = [c for w in found for c in w]
    if letters and sum(not unicodedata.name(c, "").startswith("LATIN") for c in letters) * 2 > len(letters):
        return True
    if len(found) < min_words:
        return False
    foreign = [w for w in found if w.replace("'", "") not in english and w not in known]
    return len(foreign) / len(found) >= FOREIGN_SHARE


def known_words(areas: Sequence[Area], lexicon: Lexicon, roles: Sequence[Role]) -> frozenset[str]:
    """The words of area names, role names and jargon ("lcss", "edt"): the assistant's
    own vocabulary, which is English here even when no dictionary lists it."""
    phrases = [p for a in areas for p in (a.name, *a.aliases)]
    phrases += [p for r in roles for p in (r.name, *r.aliases)]
    phrases += [p for e in (*lexicon.routes, *lexicon.terms) for p in e.phrases]
    return frozenset(w for p in phrases for w in words(p))
