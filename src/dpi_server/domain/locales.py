"""The 13 marketplaces: locale code, domain and IANA time zone (decisions.md "Locales")."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Locale:
    code: str
    domain: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def host(self) -> str:
        return f"www.{self.domain}"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


LOCALES: dict[str, Locale] = {
    loc.code: loc
    for loc in (
        Locale("ar", "doctoraliar.com", "America/Argentina/Buenos_Aires"),
        Locale("br", "doctoralia.com.br", "America/Sao_Paulo"),
        Locale("cl", "doctoralia.cl", "America/Santiago"),
        Locale("co", "doctoralia.co", "America/Bogota"),
        Locale("cz", "znamylekar.cz", "Europe/Prague"),
        Locale("es", "doctoralia.es", "Europe/Madrid"),
        Locale("it", "miodottore.it", "Europe/Rome"),
        Locale("mx", "doctoralia.mx", "America/Mexico_City"),
        Locale("pe", "doctoralia.pe", "America/Lima"),
        Locale("pt", "doctoralia.com.pt", "Europe/Lisbon"),
        Locale("tr", "doktortakvimi.com", "Europe/Istanbul"),
        Locale("pl", "znanylekarz.pl", "Europe/Warsaw"),
        Locale("de", "jameda.de", "Europe/Berlin"),
    )
}

_BY_HOST: dict[str, Locale] = {}
for _loc in LOCALES.values():
    _BY_HOST[_loc.domain] = _loc
    _BY_HOST[_loc.host] = _loc


def locale_for_host(host: str | None, default: str) -> Locale:
    """The locale a `Host` header selects; any other host (localhost, an IP) gets `default`."""
    if host:
        name = host.strip().lower()
        if name.startswith("["):  # IPv6 literal, never a marketplace domain
            return LOCALES[default]
        name = name.rsplit(":", 1)[0] if ":" in name else name
        found = _BY_HOST.get(name)
        if found is not None:
            return found
    return LOCALES[default]
