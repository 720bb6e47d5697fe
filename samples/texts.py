"""Printed Swedish text of the declarations and of cover letters (our own wording)."""

from __future__ import annotations

import random

TITLES: dict[str, tuple[str, ...]] = {
    "jamstalld-industri": (
        "Avsiktsförklaring Jämställd industri",
        "Avsiktsförklaring – Jämställd industri",
    ),
    "cemr-charter": (
        "Den europeiska deklarationen för jämställdhet på lokal och regional nivå",
        "CEMR-deklarationen för jämställdhet mellan kvinnor och män",
    ),
}

# Title wordings printed only in the held-out split (same count as TITLES per declaration).
HELDOUT_TITLES: dict[str, tuple[str, ...]] = {
    "jamstalld-industri": (
        "AVSIKTSFÖRKLARING JÄMSTÄLLD INDUSTRI",
        "Avsiktsförklaring för en jämställd industri i Norrbotten och Västerbotten",
    ),
    "cemr-charter": (
        "CEMR-DEKLARATIONEN FÖR JÄMSTÄLLDHET",
        "Europeiska deklarationen för jämställdhet mellan kvinnor och män på lokal nivå",
    ),
}

IN_SENTENCE: dict[str, str] = {
    "jamstalld-industri": "avsiktsförklaringen Jämställd industri",
    "cemr-charter": "den europeiska deklarationen för jämställdhet på lokal och regional nivå",
}

ISSUERS: dict[str, tuple[str, ...]] = {
    "jamstalld-industri": ("Länsstyrelsen Norrbotten och Länsstyrelsen Västerbotten",),
    "cemr-charter": (
        "Council of European Municipalities and Regions (CEMR)",
        "Sveriges Kommuner och Regioner",
    ),
}

PARAGRAPHS: dict[str, tuple[str, ...]] = {
    "jamstalld-industri": (
        "För att länets arbetsgivare och näringsliv ska vara attraktiva för både kvinnor och "
        "män behöver jämställdhetsperspektivet komma in tidigt i alla processer. Länsstyrelserna "
        "i Norrbotten och Västerbotten arbetar därför gemensamt med avsiktsförklaringen "
        "Jämställd industri.",
        "Den pågående samhällsomställningen i norra Sverige kräver att regionerna, kommunerna, "
        "arbetsgivarna och näringslivet tillsammans attraherar både kvinnor och män. En hållbar "
        "samhällsutveckling förutsätter att kvinnor och män har samma förutsättningar och lika "
        "möjligheter att bidra.",
        "Genom att underteckna denna avsiktsförklaring åtar sig organisationen att fram till år "
        "2030 arbeta för en jämställd industri och att redovisa sitt arbete när länsstyrelserna "
        "följer upp aktörernas arbete vartannat år.",
        "Organisationen åtar sig att bedriva ett ledningsstyrt jämställdhetsarbete där "
        "ledningsgruppen tar ansvar för mål, aktiviteter och uppföljning.",
        "Organisationen åtar sig att nyansera bilden av branschen och länen genom att utmana "
        "och förändra strukturer och föreställningar som begränsar kvinnor respektive män.",
        "Organisationen åtar sig att vara en attraktiv arbetsgivare genom ett systematiskt och "
        "genusmedvetet arbetsmiljöarbete där både kvinnor och män kan utvecklas.",
        "Som part i avsiktsförklaringen får organisationen ta del av nyhetsbrev, gemensamma "
        "erfarenhetsutbyten samt metod- och processtöd från länsstyrelserna och andra parter.",
        "Avsiktsförklaringen har tagits fram av länsstyrelserna i Norrbotten och Västerbotten "
        "i dialog med industri, kommuner, regioner och myndigheter i länen.",
        "Undertecknad organisation ställer sig bakom avsiktsförklaringen och utser en "
        "kontaktperson för arbetet. Den undertecknade blanketten skickas till kontaktpersonen "
        "på länsstyrelsen i det län där organisationen är verksam.",
    ),
    "cemr-charter": (
        "Den europeiska deklarationen för jämställdhet mellan kvinnor och män på lokal och "
        "regional nivå är ett verktyg för kommuner och regioner att integrera ett "
        "jämställdhetsperspektiv i det politiska beslutsfattandet och i verksamheten.",
        "Jämställdhet mellan kvinnor och män är en grundläggande rättighet. Lokala och "
        "regionala myndigheter, som står närmast medborgarna, har en nyckelroll i att "
        "omsätta denna rättighet i praktiken.",
        "Undertecknaren förbinder sig att inom två år efter undertecknandet ta fram en "
        "handlingsplan för jämställdhet som anger prioriteringar, åtgärder och resurser.",
        "Undertecknaren åtar sig att samarbeta med alla institutioner och organisationer i "
        "sitt område för att främja verklig jämställdhet, och att följa upp arbetet regelbundet.",
        "Avsikten är att diskrimineringslagstiftningen följs och att principer som regleras i "
        "internationella avtal omsätts i praktik på lokal och regional nivå.",
        "Kommunförbundet i Norrbotten har beslutat att samtliga kommuner i länet ska "
        "underteckna deklarationen och arbeta med att implementera den.",
        "Jämställd medborgarservice förutsätter kunskap om hur verksamheten påverkar kvinnor "
        "och män, flickor och pojkar, och en vilja att förändra det som behöver förändras.",
    ),
}

BULLETS: dict[str, tuple[str, ...]] = {
    "jamstalld-industri": (
        "Ett ledningsstyrt jämställdhetsarbete",
        "Att nyansera bilden av branschen och länen – utmana strukturer och föreställningar "
        "som begränsar kvinnor och män",
        "Att vara attraktiva arbetsgivare genom ett systematiskt arbetsmiljöarbete",
    ),
    "cemr-charter": (
        "Jämställdhet är en grundläggande rättighet",
        "Mångfaldsdiskriminering och missgynnande måste motverkas",
        "En jämn fördelning av makt och inflytande är en förutsättning för demokrati",
        "Könsstereotyper måste elimineras",
    ),
}

BLOCK_INTROS: tuple[str, ...] = (
    "Härmed ansluter sig nedanstående organisation till avsiktsförklaringen.",
    "Underskrift av behörig företrädare för organisationen:",
    "Vi ställer oss bakom avsiktsförklaringen och förbinder oss att arbeta enligt den.",
)

LETTERHEAD_INTROS: tuple[str, ...] = (
    "{org} ansluter sig härmed till {title} och förbinder sig att arbeta i enlighet med den.",
    "Härmed intygas att {org} ställer sig bakom {title}. Undertecknad är behörig att "
    "företräda organisationen.",
    "Vi har tagit del av {title} och ansluter oss. Uppgifter om vår organisation:",
)

LETTER_BODIES: tuple[str, ...] = (
    "Hej! Här kommer vår undertecknade avsiktsförklaring. Vi ser fram emot att delta i "
    "erfarenhetsutbytena och att få ta del av nyhetsbrevet.",
    "Bifogat finns den undertecknade blanketten. Kontakta gärna oss om något saknas eller "
    "om ni behöver fler uppgifter om vår organisation.",
    "Vi har i ledningsgruppen beslutat att ansluta oss och skickar härmed in blanketten. "
    "Frågor om vårt jämställdhetsarbete besvaras av vår HR-avdelning.",
)


def pick_paragraphs(rng: random.Random, declaration: str, count: int) -> list[str]:
    pool = list(PARAGRAPHS[declaration])
    count = min(count, len(pool))
    first = pool[0]
    rest = rng.sample(pool[1:], count - 1)
    return [first, *rest]
