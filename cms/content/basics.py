"""The owner: JSON Resume ``basics`` and its ``profiles``, with their public shape.

Basics is one row, not a list, and its public schema combines it with the published profiles
(``linkedin`` and ``github`` come from them), so both records and that schema live here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cms.content import models as m
from cms.content.images import IMAGE_ALT_HELP, ImagePublic, image_url, public_image
from cms.content.record import AdminHints, Section, resume_field

__all__ = ["BASICS", "LOCATION_KEYS", "PROFILES", "LocationPublic", "PersonalInfoPublic"]

f = resume_field

PROFILES = Section(
    "profiles",
    m.Profile,
    m.ProfileBase,
    resume=(f("network"), f("username"), f("url", kind="url")),
    public_fields=("id", "network", "username", "url", "sort_order"),
    public_name="ProfilePublic",
    public_doc="A published social profile.",
    admin=AdminHints(
        "Social profile",
        "fa-solid fa-share-nodes",
        "Profile",
        columns=("network", "username", "url"),
        search=("network", "username"),
    ),
)

ProfilePublic = PROFILES.public


class LocationPublic(BaseModel):
    """Where the owner lives (JSON Resume ``basics.location``)."""

    address: str | None
    postal_code: str | None
    city: str | None
    country_code: str | None
    region: str | None
    timezone: str | None


class PersonalInfoPublic(BaseModel):
    """The owner: name, contact details, links and published profiles."""

    name: str
    title: str | None = Field(description="JSON Resume `basics.label`.")
    pronouns: str | None
    email: str | None
    phone: str | None
    location: LocationPublic
    summary: str | None
    website: str | None = Field(description="JSON Resume `basics.url`.")
    linkedin: str | None = Field(description="URL of the first published LinkedIn profile.")
    github: str | None = Field(description="URL of the first published GitHub profile.")
    image_url: str | None = Field(
        description="The URL of the image (the largest variant of an upload).",
        deprecated="Read `image.url`.",
    )
    image: ImagePublic | None = Field(description="The owner's photo, uploaded or a URL.")
    profiles: list[ProfilePublic]  # type: ignore[valid-type]

    @classmethod
    def from_rows(cls, basics: Any, profiles: list[Any]) -> PersonalInfoPublic:
        """Combine the basics row (its ``image_media`` loaded) with the (already
        published-only, ordered) profiles."""

        def profile_url(network: str) -> str | None:
            for profile in profiles:
                if profile.network.strip().casefold() == network and profile.url:
                    return profile.url  # type: ignore[no-any-return]
            return None

        return cls(
            name=basics.name,
            title=basics.label,
            pronouns=basics.pronouns,
            email=basics.email,
            phone=basics.phone,
            location=LocationPublic(
                address=basics.address,
                postal_code=basics.postal_code,
                city=basics.city,
                country_code=basics.country_code,
                region=basics.region,
                timezone=basics.timezone,
            ),
            summary=basics.summary,
            website=basics.url,
            linkedin=profile_url("linkedin"),
            github=profile_url("github"),
            image_url=image_url(basics),
            image=public_image(basics),
            profiles=[ProfilePublic.from_row(profile) for profile in profiles],  # type: ignore[attr-defined]
        )


BASICS = Section(
    "basics",
    m.Basics,
    m.BasicsBase,
    resume=(
        f("name"),
        f("label"),
        f("image", kind="image"),
        f("email", kind="email"),
        f("phone"),
        f("url", kind="url"),
        f("summary"),
        f("pronouns"),
        f("imageAlt", "image_alt"),
        # basics.location, flattened into the row
        f("address"),
        f("postalCode", "postal_code"),
        f("city"),
        f("countryCode", "country_code"),
        f("region"),
        f("timezone"),
    ),
    public_model=PersonalInfoPublic,
    translatable=("name", "label", "summary", "pronouns", "image_alt", "city", "region"),
    path="personal-info",
    admin=AdminHints(
        "Personal info",
        "fa-solid fa-id-card",
        "Profile",
        columns=("name", "label", "email", "city", "country_code", "updated_at"),
        search=("name", "label"),
        plural="Personal info",
        form=(
            *("name", "label", "email", "phone", "url", "image", "image_alt", "summary"),
            *("pronouns", "address", "postal_code", "city", "country_code", "region"),
            "timezone",
        ),
        labels={
            "label": "Title",
            "country_code": "Country",
            "url": "Website",
            "image": "Image URL",
            "image_alt": "Image description",
            "image_media_id": "Uploaded image",
            "updated_at": "Updated",
        },
        help={"image_alt": IMAGE_ALT_HELP},
    ),
)
LOCATION_KEYS = ("address", "postalCode", "city", "countryCode", "region", "timezone")
"""The keys of ``basics.location`` among the basics fields."""
