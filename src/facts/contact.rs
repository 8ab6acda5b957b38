//! Contacts: e-mail addresses, phone numbers, postal addresses and named contacts (a data
//! protection officer, an EU or UK representative) with the person named for the role.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Gated;

use super::{text::squash, Mention};

static EMAIL: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(r"\b[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
        .expect("e-mail pattern")
});

/// International numbers (+49 …, 0049 …) anywhere; national ones only after a phone word.
static PHONE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(r"(?i)(?:\+|\b00)[1-9][0-9 ().\-/\u{202d}\u{202c}]{6,22}[0-9]|(?:phone|tel\.?|telephone|telefon|téléphone|tél\.?|fax|call us at|hotline)\s*(?:number)?\s*[:.]?\s*\(?[0-9][0-9 ().\-/]{6,18}[0-9]")
        .expect("phone pattern")
});

/// A street and number: "236 Roosevelt Way", "Vijzelstraat 68-72", "37 quai d’Orsay".
static STREET: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?x)
        \b(?P<n1>[0-9]{1,5}[A-Za-z]?)(?:[-–][0-9]{1,5})?,?\s+(?:[A-Z0-9][\p{L}0-9.'’-]*\s+){0,4}
          (?:(?:Street|Avenue|Road|Way|Boulevard|Drive|Lane|Place|Court|Square|Parkway|Highway|Plaza|Terrace|Quay|Upper|Lower)\b|(?:St|Ave|Rd|Blvd)\.)
        | \b(?P<w2>[A-ZÄÖÜ][\p{L}.-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|gracht|laan|straat|plein|kade|vägen|gatan))\s+(?P<n2>[0-9]{1,4}[a-z]?)(?:\s?[-–]\s?[0-9]{1,4})?
        | \b(?P<n3>[0-9]{1,4})(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|boulevard|bd|chemin|quai|place|allée|impasse|route|cours|passage)\s+(?P<w3>[\p{L}'’ -]{2,40}?)(?:,|\s[0-9]|$)
        ",
    )
    .expect("street pattern")
});

/// A postal code with its town: "75015 Paris", "1017 HL Amsterdam", "CA 94158", "D01 YC43".
static POSTCODE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"\b(?:[0-9]{5}|[0-9]{4}\s?[A-Z]{2}|[0-9]{4}|[A-Z]{1,2}[0-9][A-Z0-9]?\s[0-9][A-Z]{2}|[A-Z][0-9]{2}\s[A-Z0-9]{4})\s+[A-ZÀ-Ý][\p{L}-]+(?:\s[A-ZÀ-Ý][\p{L}-]+)?|\b[A-Z]{2}\s+[0-9]{5}(?:-[0-9]{4})?\b",
    )
    .expect("postcode pattern")
});

/// Roles whose holder is a contact, with a short name for each.
static ROLE: LazyLock<Gated> = LazyLock::new(|| {
    Gated::new(
        r"(?i)\b(?P<dpo>data\s+protection\s+officer|datenschutzbeauftragte[rn]?|d[ée]l[ée]gu[ée]e?\s+(?:à|a)\s+la\s+protection\s+des\s+donn[ée]es)\b|(?-i:\b(?P<dpo2>DPO|DSB|DPD)\b)|\b(?P<eu>(?:EU|EEA|EWR)[\s-](?:GDPR\s+)?(?:representative|vertreter)|representative\s+in\s+the\s+(?:EU|European\s+Union|Union)|représentant\s+(?:dans\s+l['’]UE|au\s+sein\s+de\s+l['’]Union|européen))\b|\b(?P<uk>UK[\s-](?:GDPR\s+)?representative|representative\s+in\s+the\s+(?:UK|United\s+Kingdom))\b|\b(?P<po>(?:chief\s+)?privacy\s+officer)\b",
    )
    .expect("role pattern")
});

/// A person's name right after a role: "Data Protection Officer: Benjamin Piouffle".
static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[:,–-]\s*|\s+is\s+|\s+ist\s+|\s+est\s+)(?:(?:Mr|Ms|Mrs|Dr|Herr|Frau|Mme|M)\.?\s+)?(?P<name>[A-ZÀ-Ý][\p{Ll}'’-]+(?:\s+[A-ZÀ-Ý][\p{Ll}'’-]+){1,2})\b")
        .expect("person pattern")
});

/// Every contact in `text`. Keys: `mail:`, `phone:`, `addr:`, `role-<role>:<name>`.
pub(super) fn find(text: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    for m in EMAIL.find_iter(text) {
        // A top-level domain runs into the next word when the layout glued them
        // ("privacy@openai.comActivities"): it ends where lower case turns upper.
        let raw = m.as_str();
        let cut = raw
            .rfind('.')
            .and_then(|dot| {
                raw[dot + 1..]
                    .char_indices()
                    .find(|(i, c)| *i > 0 && c.is_uppercase())
                    .map(|(i, _)| dot + 1 + i)
            })
            .unwrap_or(raw.len());
        let t = raw[..cut].trim_end_matches('.');
        out.push(Mention {
            start: m.start(),
            end: m.start() + t.len(),
            text: t.to_string(),
            key: format!("mail:{}", t.to_lowercase()),
            about: None,
        });
    }
    for m in PHONE.find_iter(text) {
        let t = m.as_str();
        let number = t.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '+' && c != '(');
        let digits: String = number
            .replace("(0)", "")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        // International numbers have at least nine digits; national ones at least eight.
        let min = if number.starts_with('+') || number.starts_with("00") {
            9
        } else {
            8
        };
        if !(min..=15).contains(&digits.len()) || looks_like_date_or_id(number) {
            continue;
        }
        let tail = &digits[digits.len() - 8..];
        out.push(Mention {
            start: m.end() - number.len(),
            end: m.end(),
            text: number.trim().to_string(),
            key: format!("phone:{tail}"),
            about: None,
        });
    }
    for m in STREET.captures_iter(text) {
        let whole = m.get(0).expect("match");
        let number = m
            .name("n1")
            .or(m.name("n2"))
            .or(m.name("n3"))
            .map_or("", |n| n.as_str());
        let word = m
            .name("w2")
            .or(m.name("w3"))
            .map(|w| w.as_str().to_string())
            .unwrap_or_else(|| {
                whole.as_str()[number.len()..]
                    .split_whitespace()
                    .find(|w| w.chars().any(char::is_alphabetic))
                    .unwrap_or("")
                    .to_string()
            });
        // The town that follows, if it does within a few words.
        let rest = &text[whole.end()..];
        let end = POSTCODE
            .find(rest)
            .filter(|p| p.start() < 40)
            .map_or(whole.end(), |p| whole.end() + p.end());
        let word_key: String = squash(&word).chars().take(12).collect();
        out.push(Mention {
            start: whole.start(),
            end,
            text: text[whole.start()..end]
                .trim_end_matches([',', ' '])
                .to_string(),
            key: format!("addr:{}{}", squash(number), word_key),
            about: None,
        });
    }
    // A postal code and town on their own, in an address-like list ("…, 24161 Altenholz, Germany").
    for p in POSTCODE.find_iter(text) {
        if out
            .iter()
            .any(|m| m.start <= p.start() && p.end() <= m.end + 1)
        {
            continue;
        }
        let before = text[..p.start()].trim_end();
        let after = text[p.end()..].trim_start();
        if !(before.ends_with(',') || after.starts_with(','))
            || !p
                .as_str()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        {
            continue;
        }
        out.push(Mention {
            start: p.start(),
            end: p.end(),
            text: p.as_str().to_string(),
            key: format!("addr:{}", squash(p.as_str())),
            about: None,
        });
    }
    // A heading names a role, not a contact.
    let heading = text.trim_start().starts_with('#');
    for r in ROLE.captures_iter(text).filter(|_| !heading) {
        let whole = r.get(0).expect("match");
        let after = text[whole.end()..].chars().next();
        if matches!(after, Some('@' | '.'))
            && text[whole.end()..].len() > 1
            && !text[whole.end() + 1..].starts_with(' ')
        {
            continue; // dpo@example.com, dpo.example
        }
        let role = if r.name("dpo").is_some() || r.name("dpo2").is_some() {
            "dpo"
        } else if r.name("eu").is_some() {
            "eu"
        } else if r.name("uk").is_some() {
            "uk"
        } else {
            "po"
        };
        let person = PERSON
            .captures(&text[whole.end()..])
            .and_then(|c| c.name("name"));
        let end = person.map_or(whole.end(), |p| whole.end() + p.end());
        out.push(Mention {
            start: whole.start(),
            end,
            text: text[whole.start()..end].to_string(),
            key: format!(
                "role-{role}:{}",
                person.map(|p| squash(p.as_str())).unwrap_or_default()
            ),
            about: None,
        });
    }
    out
}

/// A run of digits that is a date or a registration number rather than a phone number.
fn looks_like_date_or_id(s: &str) -> bool {
    static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\(?[0-9]{4}[-./][0-9]{2}[-./][0-9]{2}").expect("date-like pattern")
    });
    DATE_LIKE.is_match(s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<String> {
        find(t).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn addresses_in_english_german_french_and_dutch() {
        let k = keys("Bardeen, Inc. 236 Roosevelt Way, 94114, San Francisco, CA, USA");
        assert_eq!(k, vec!["addr:236roosevelt"]);
        let k2 = keys("Bardeen, Inc. 236 Roosevelt Way San Francisco, CA 94114 United States");
        assert_eq!(k2, vec!["addr:236roosevelt"]);
        let nl = find("CC: GitHub BV, Vijzelstraat 68-72, 1017 HL Amsterdam, The Netherlands");
        assert_eq!(nl[0].key, "addr:68vijzelstraat");
        assert!(nl[0].text.contains("1017 HL Amsterdam"), "{nl:?}");
        let fr = find("Ministère, 37 Quai d’Orsay, 75015 Paris, France");
        assert!(fr[0].text.starts_with("37 Quai d’Orsay"), "{fr:?}");
        let de = find("Musterfirma GmbH, Hauptstraße 5, 10115 Berlin, Deutschland");
        assert_eq!(de[0].key, "addr:5hauptstraße");
        let lone = find("c/o DP Dock GmbH, Gut Projensdorf, 24161 Altenholz, Germany");
        assert!(lone.iter().any(|m| m.text == "24161 Altenholz"), "{lone:?}");
    }

    #[test]
    fn mail_phone_and_roles() {
        let m = find("Write to privacy@example.com. Phone: +46(0)8-657 61 00");
        assert_eq!(m[0].key, "mail:privacy@example.com");
        assert_eq!(m[1].key, "phone:86576100");
        let r = find("Data Protection Officer: Benjamin Piouffle, dpo@oficonsortium.org");
        assert!(
            r.iter().any(|m| m.key == "role-dpo:benjaminpiouffle"),
            "{r:?}"
        );
        assert!(
            !r.iter()
                .any(|m| m.key.starts_with("role-dpo:") && m.text == "dpo"),
            "{r:?}"
        );
        let de = find("Unseren Datenschutzbeauftragten erreichen Sie unter dsb@example.de.");
        assert!(de.iter().any(|m| m.key == "role-dpo:"), "{de:?}");
        let fr = find("Contactez notre délégué à la protection des données : Marie Curie.");
        assert!(fr.iter().any(|m| m.key == "role-dpo:mariecurie"), "{fr:?}");
        // A year range or a date is no phone number.
        assert!(keys("From +2020-2024 onwards")
            .iter()
            .all(|k| !k.starts_with("phone")));
    }
}
