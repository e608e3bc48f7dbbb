"""Short names of the CPV divisions a company can be pre-qualified for, German and English.

The application form lists the divisions of :data:`infra.profile_prequalification.CPV_DIVISIONS`
by category, each with its two digits and its name, so that a company does not need the CPV
code list at hand. The names follow the division titles of the Common Procurement Vocabulary
(Regulation (EC) No 213/2008), shortened where the official title is long. They are data
pairs like the questions of the self-declaration, not catalog messages.
"""

from __future__ import annotations

__all__ = ["CPV_DIVISION_NAMES", "division_name", "divisions_by_category"]

from infra.profile_prequalification import CPV_DIVISIONS, Category

CPV_DIVISION_NAMES: dict[str, tuple[str, str]] = {
    "03": (
        "Land- und forstwirtschaftliche Erzeugnisse, Fischerei",
        "Agricultural, farming, fishing and forestry products",
    ),
    "09": (
        "Erdölerzeugnisse, Brennstoffe, Elektrizität und andere Energiequellen",
        "Petroleum products, fuel, electricity and other sources of energy",
    ),
    "14": ("Bergbauerzeugnisse und unedle Metalle", "Mining, basic metals and related products"),
    "15": ("Nahrungsmittel, Getränke und Tabak", "Food, beverages, tobacco and related products"),
    "16": ("Landwirtschaftliche Maschinen", "Agricultural machinery"),
    "18": (
        "Bekleidung, Schuhe, Lederwaren und Zubehör",
        "Clothing, footwear, luggage and accessories",
    ),
    "19": (
        "Leder, Textilgewebe, Kunststoff- und Gummimaterialien",
        "Leather, textile fabrics, plastic and rubber materials",
    ),
    "22": ("Drucksachen und verwandte Erzeugnisse", "Printed matter and related products"),
    "24": ("Chemische Erzeugnisse", "Chemical products"),
    "30": (
        "Büro- und Computeranlagen und Zubehör (ohne Möbel und Software)",
        "Office and computing machinery and supplies (except furniture and software)",
    ),
    "31": (
        "Elektrische Maschinen, Geräte und Beleuchtung",
        "Electrical machinery, apparatus and lighting",
    ),
    "32": (
        "Radio-, Fernseh-, Kommunikations- und Telekommunikationsgeräte",
        "Radio, television, communication and telecommunication equipment",
    ),
    "33": (
        "Medizinische Geräte, Arzneimittel und Körperpflegeprodukte",
        "Medical equipment, pharmaceuticals and personal care products",
    ),
    "34": ("Transportmittel und Zubehör", "Transport equipment and auxiliary products"),
    "35": (
        "Ausrüstung für Sicherheit, Brandbekämpfung, Polizei und Verteidigung",
        "Security, fire-fighting, police and defence equipment",
    ),
    "37": (
        "Musikinstrumente, Sportartikel, Spielzeug, Handwerks- und Künstlerbedarf",
        "Musical instruments, sports goods, toys, handicraft and art supplies",
    ),
    "38": (
        "Labor-, optische und Präzisionsgeräte (außer Brillen)",
        "Laboratory, optical and precision equipment (except glasses)",
    ),
    "39": (
        "Möbel, Einrichtung, Haushaltsgeräte und Reinigungsmittel",
        "Furniture, furnishings, domestic appliances and cleaning products",
    ),
    "41": ("Gesammeltes und gereinigtes Wasser", "Collected and purified water"),
    "42": ("Industriemaschinen", "Industrial machinery"),
    "43": (
        "Maschinen für Bergbau und Steinbrüche, Baumaschinen",
        "Machinery for mining and quarrying, construction equipment",
    ),
    "44": (
        "Konstruktionen und Baumaterialien, Bauhilfsprodukte",
        "Construction structures and materials, auxiliary products to construction",
    ),
    "45": ("Bauarbeiten", "Construction work"),
    "48": ("Softwarepakete und Informationssysteme", "Software packages and information systems"),
    "50": ("Reparatur- und Wartungsdienste", "Repair and maintenance services"),
    "51": ("Installationsdienste (außer Software)", "Installation services (except software)"),
    "55": (
        "Dienstleistungen von Hotels, Restaurants und Einzelhandel",
        "Hotel, restaurant and retail trade services",
    ),
    "60": (
        "Transportdienste (ohne Abfalltransport)",
        "Transport services (except waste transport)",
    ),
    "63": (
        "Hilfs- und Nebentätigkeiten für den Verkehr, Reisebüros",
        "Supporting transport services, travel agencies",
    ),
    "64": ("Post- und Telekommunikationsdienste", "Postal and telecommunications services"),
    "65": ("Dienstleistungen von Versorgungsunternehmen", "Public utilities"),
    "66": ("Finanz- und Versicherungsdienstleistungen", "Financial and insurance services"),
    "70": ("Dienstleistungen im Immobilienwesen", "Real estate services"),
    "71": (
        "Architektur-, Ingenieur- und Prüfdienstleistungen",
        "Architectural, construction, engineering and inspection services",
    ),
    "72": (
        "IT-Dienste: Beratung, Softwareentwicklung, Internet und Support",
        "IT services: consulting, software development, Internet and support",
    ),
    "73": (
        "Forschung und Entwicklung und zugehörige Beratung",
        "Research and development and related consultancy",
    ),
    "75": (
        "Dienstleistungen für Verwaltung, Verteidigung und soziale Sicherheit",
        "Administration, defence and social security services",
    ),
    "76": (
        "Dienstleistungen für die Erdöl- und Erdgasindustrie",
        "Services related to the oil and gas industry",
    ),
    "77": (
        "Dienstleistungen in Land- und Forstwirtschaft, Gartenbau und Aquakultur",
        "Agricultural, forestry, horticultural and aquacultural services",
    ),
    "79": (
        "Unternehmensdienste: Recht, Marketing, Beratung, Personal, Druck, Sicherheit",
        "Business services: law, marketing, consulting, recruitment, printing, security",
    ),
    "80": ("Allgemeine und berufliche Bildung", "Education and training services"),
    "85": ("Gesundheits- und Sozialwesen", "Health and social work services"),
    "90": (
        "Abwasser-, Abfall-, Reinigungs- und Umweltdienste",
        "Sewage, refuse, cleaning and environmental services",
    ),
    "92": ("Erholung, Kultur und Sport", "Recreational, cultural and sporting services"),
    "98": (
        "Sonstige gemeinschaftliche, soziale und persönliche Dienste",
        "Other community, social and personal services",
    ),
}
"""Two-digit CPV division → (German, English) short name."""

_CATEGORY_ORDER: tuple[Category, ...] = ("works", "supplies", "services")


def division_name(division: str, language: str) -> str:
    """The division's name in ``language`` (German for anything but English); the bare digits
    for a division this table does not know."""
    names = CPV_DIVISION_NAMES.get(division)
    if names is None:
        return division
    return names[1] if language == "en" else names[0]


def divisions_by_category(language: str) -> list[tuple[Category, list[tuple[str, str]]]]:
    """Each category with its divisions in numeric order, as (digits, name) pairs."""
    return [
        (
            category,
            [(code, division_name(code, language)) for code in sorted(CPV_DIVISIONS[category])],
        )
        for category in _CATEGORY_ORDER
    ]
