"""Every section of the CV, declared once (JSON Resume v1.0.0 order, profiles inside basics).

Adding a field to a section: its table (+ a migration) and its record here. Adding a JSON
Resume section: a table, a migration and a record; the public API, the JSON Resume codec,
the write path and the back office pick it up from :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterator

from cms.content import models as m
from cms.content.basics import BASICS, PROFILES
from cms.content.images import IMAGE, IMAGE_ALT_HELP, IMAGE_URL
from cms.content.queries import SLUG, Detail, Filter, Flag, Integer, Text
from cms.content.record import (
    TECHNOLOGY_NAMES,
    AdminHints,
    Computed,
    ResumeField,
    Section,
    period,
    resume_field,
    words,
)

__all__ = ["LIST_SECTIONS", "SECTIONS", "section_of", "sections_in_document"]

f = resume_field


IS_CURRENT = Computed(bool, lambda row: row.end_date is None, "True when the job has no end date.")
FEATURED = Computed(bool, lambda row: row.is_featured, "Shown first on the site.")
IS_FEATURED = Computed(
    bool, lambda row: row.is_featured, "The same as `featured`.", deprecated="Read `featured`."
)

WORK = Section(
    "work",
    m.Work,
    m.WorkBase,
    resume=(
        f("name", "company"),
        f("location"),
        f("description"),
        f("position"),
        f("url", kind="url"),
        *period(),
        f("summary"),
        f("highlights", kind="list"),
        f("keywords", "technologies", "technologies"),
    ),
    public_fields=(
        *words("id company position url location description summary highlights"),
        *words("start_date end_date"),
        ("is_current", IS_CURRENT),
        ("technologies", TECHNOLOGY_NAMES),
        "sort_order",
    ),
    public_name="ExperiencePublic",
    public_doc="A published job (JSON Resume ``work``) with its technologies in the listed order.",
    translatable=words("company position location description summary highlights"),
    path="experience",
    path_doc="Published work experience, in the owner's order, newest first.",
    detail=Detail(
        "experience_id",
        Integer(),
        by=("id",),
        missing="Experience {key} not found",
        description="Experience id.",
    ),
    order_date="start_date",
    tagged=True,
    admin=AdminHints(
        "Work experience",
        "fa-solid fa-briefcase",
        "Career",
        columns=words("company position start_date end_date technologies"),
        search=words("company position location"),
        plural="Work experience",
        form=(
            *words("company position url location description summary highlights technologies"),
            *words("start_date start_precision end_date end_precision sort_order is_published"),
            *words("publish_at unpublish_at"),
        ),
    ),
)

VOLUNTEER = Section(
    "volunteer",
    m.Volunteer,
    m.VolunteerBase,
    resume=(
        *(f("organization"), f("position"), f("url", kind="url"), *period()),
        *(f("summary"), f("highlights", kind="list")),
    ),
    public_fields=words(
        "id organization position url summary highlights start_date end_date sort_order"
    ),
    public_name="VolunteerPublic",
    public_doc="A published volunteering role.",
    translatable=words("organization position summary highlights"),
    path="volunteer",
    path_doc="Published volunteering roles.",
    order_date="start_date",
    admin=AdminHints(
        "Volunteering",
        "fa-solid fa-hand-holding-heart",
        "Career",
        columns=words("organization position start_date end_date"),
        search=words("organization position"),
        plural="Volunteering",
    ),
)

EDUCATION = Section(
    "education",
    m.Education,
    m.EducationBase,
    resume=(
        *(f("institution"), f("url", kind="url"), f("area"), f("studyType", "study_type")),
        *(*period(), f("score"), f("courses", kind="list")),
    ),
    public_fields=words(
        "id institution url area study_type score courses start_date end_date sort_order"
    ),
    public_name="EducationPublic",
    public_doc="A published degree or course of study.",
    translatable=words("institution area study_type courses"),
    path="education",
    path_doc="Published education entries.",
    order_date="start_date",
    admin=AdminHints(
        "Education",
        "fa-solid fa-graduation-cap",
        "Career",
        columns=words("institution study_type area start_date end_date"),
        search=words("institution area study_type"),
        plural="Education",
    ),
)

AWARDS = Section(
    "awards",
    m.Award,
    m.AwardBase,
    resume=(
        f("title"),
        ResumeField("date", "date", "date", "date_precision"),
        *(f("awarder"), f("summary")),
    ),
    public_fields=words("id title date awarder summary sort_order"),
    public_name="AwardPublic",
    public_doc="A published award.",
    translatable=words("title awarder summary"),
    path="awards",
    path_doc="Published awards.",
    order_date="date",
    admin=AdminHints(
        "Award",
        "fa-solid fa-trophy",
        "Recognition",
        columns=words("title awarder date"),
        search=words("title awarder"),
    ),
)

CERTIFICATES = Section(
    "certificates",
    m.Certificate,
    m.CertificateBase,
    resume=(
        f("name"),
        ResumeField("date", "date", "full_date", "date_precision"),
        *(f("url", kind="url"), f("issuer")),
    ),
    public_fields=words("id name date issuer url sort_order"),
    public_name="CertificatePublic",
    public_doc="A published certificate.",
    translatable=words("name issuer"),
    path="certificates",
    path_doc="Published certificates.",
    order_date="date",
    admin=AdminHints(
        "Certificate",
        "fa-solid fa-certificate",
        "Recognition",
        columns=words("name issuer date"),
        search=words("name issuer"),
    ),
)

PUBLICATIONS = Section(
    "publications",
    m.Publication,
    m.PublicationBase,
    resume=(
        *(f("name"), f("publisher")),
        ResumeField("releaseDate", "release_date", "date", "release_date_precision"),
        *(f("url", kind="url"), f("summary")),
    ),
    public_fields=words("id name publisher release_date url summary sort_order"),
    public_name="PublicationPublic",
    public_doc="A published publication.",
    translatable=words("name publisher summary"),
    path="publications",
    path_doc="Published publications.",
    order_date="release_date",
    admin=AdminHints(
        "Publication",
        "fa-solid fa-book",
        "Recognition",
        columns=words("name publisher release_date"),
        search=words("name publisher"),
        labels={"release_date": "Released"},
    ),
)

SKILLS = Section(
    "skills",
    m.Skill,
    m.SkillBase,
    resume=(
        *(f("name"), f("level", "level_label"), f("keywords", kind="list")),
        *(f("rating", "level", "number"), f("category")),
        f("yearsExperience", "years_experience", "number"),
        f("featured", "is_featured", "flag"),
    ),
    public_fields=(
        *words("id name category level level_label years_experience keywords"),
        ("featured", FEATURED),
        "sort_order",
        ("is_featured", IS_FEATURED),
    ),
    public_name="SkillPublic",
    public_doc="A published skill.",
    translatable=words("name category level_label keywords"),
    path="skills",
    path_doc="Published skills, optionally of one category or only (non-)featured ones.",
    filters=(
        Filter("category", Text(), "Only skills of this category (case-insensitive)."),
        Filter("featured", Flag(), "Only (non-)featured skills."),
    ),
    admin=AdminHints(
        "Skill",
        "fa-solid fa-star",
        "Skills",
        columns=words("name category level years_experience is_featured"),
        search=words("name category"),
        filters=words("category is_featured"),
        help={"level": "1 (basic) to 5 (expert)."},
    ),
)

LANGUAGES = Section(
    "languages",
    m.Language,
    m.LanguageBase,
    resume=(f("language"), f("fluency")),
    public_fields=words("id language fluency sort_order"),
    public_name="LanguagePublic",
    public_doc="A published spoken language.",
    translatable=words("language fluency"),
    path="languages",
    path_doc="Published spoken languages.",
    admin=AdminHints(
        "Language",
        "fa-solid fa-language",
        "Skills",
        columns=words("language fluency"),
        search=words("language fluency"),
    ),
)

INTERESTS = Section(
    "interests",
    m.Interest,
    m.InterestBase,
    resume=(f("name"), f("keywords", kind="list")),
    public_fields=words("id name keywords sort_order"),
    public_name="InterestPublic",
    public_doc="A published interest.",
    translatable=words("name keywords"),
    path="interests",
    path_doc="Published interests.",
    admin=AdminHints(
        "Interest",
        "fa-solid fa-heart",
        "Personal",
        columns=words("name keywords"),
        search=("name",),
    ),
)

REFERENCES = Section(
    "references",
    m.Reference,
    m.ReferenceBase,
    resume=(f("name"), f("reference")),
    public_fields=words("id name reference sort_order"),
    public_name="ReferencePublic",
    public_doc="A published reference.",
    translatable=("reference",),
    path="references",
    path_doc="Published references.",
    admin=AdminHints(
        "Reference",
        "fa-solid fa-quote-left",
        "Personal",
        columns=words("name reference"),
        search=words("name reference"),
    ),
)

PROJECTS = Section(
    "projects",
    m.Project,
    m.ProjectBase,
    resume=(
        *(f("name"), f("description"), f("highlights", kind="list")),
        f("keywords", "technologies", "technologies"),
        *(*period(), f("url", kind="url"), f("roles", kind="list"), f("entity"), f("type")),
        *(f("slug"), f("githubUrl", "github_url", "url"), f("demoUrl", "demo_url", "url")),
        *(f("image", "image_url", "image"), f("featured", "is_featured", "flag")),
        f("imageAlt", "image_alt"),
    ),
    public_fields=(
        *words("id name slug description highlights url github_url demo_url"),
        ("image_url", IMAGE_URL),
        ("image", IMAGE),
        *words("roles entity type start_date end_date"),
        ("featured", FEATURED),
        ("technologies", TECHNOLOGY_NAMES),
        "sort_order",
        ("is_featured", IS_FEATURED),
    ),
    public_name="ProjectPublic",
    public_doc="A published project with its technologies in the listed order.",
    translatable=words("name description highlights roles entity type image_alt"),
    path="projects",
    path_doc="Published projects, optionally only featured (or non-featured) ones.",
    filters=(Filter("featured", Flag(), "Only (non-)featured projects."),),
    detail=Detail(
        "id_or_slug",
        SLUG,
        by=("id", "slug"),
        missing="Project {key!r} not found",
        description="A numeric project id or a project slug.",
    ),
    order_date="start_date",
    tagged=True,
    admin=AdminHints(
        "Project",
        "fa-solid fa-diagram-project",
        "Career",
        columns=words("name slug technologies is_featured"),
        search=words("name slug description"),
        filters=("is_featured",),
        form=(
            *words("name slug description highlights technologies url github_url demo_url"),
            *words("image_url image_alt roles entity type start_date start_precision end_date"),
            *words("end_precision is_featured sort_order is_published publish_at unpublish_at"),
        ),
        help={
            "slug": "Part of the project's public URL, e.g. my-project.",
            "image_alt": IMAGE_ALT_HELP,
        },
    ),
)

SECTIONS: dict[str, Section] = {
    section.name: section
    for section in (
        BASICS,
        PROFILES,
        WORK,
        VOLUNTEER,
        EDUCATION,
        AWARDS,
        CERTIFICATES,
        PUBLICATIONS,
        SKILLS,
        LANGUAGES,
        INTERESTS,
        REFERENCES,
        PROJECTS,
    )
}
"""Every section by JSON Resume name, in the document's order."""

LIST_SECTIONS: tuple[Section, ...] = tuple(s for s in SECTIONS.values() if s.is_list)
"""The sections that are lists of entries (all but basics), profiles included."""


def sections_in_document() -> Iterator[Section]:
    """The list sections that are top-level in a JSON Resume document (profiles are in basics)."""
    return (section for section in LIST_SECTIONS if section is not PROFILES)


def section_of(table: type) -> Section:
    """The section stored in ``table``."""
    for section in SECTIONS.values():
        if section.table is table:
            return section
    raise LookupError(f"{table.__name__} is not a CV section")
