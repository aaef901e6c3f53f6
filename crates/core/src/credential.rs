//! Verifiable credentials: Open Badges 3.0 achievement credentials secured
//! with the W3C Data Integrity cryptosuite `eddsa-jcs-2022` (Ed25519 over
//! the JSON Canonicalization Scheme, RFC 8785).
//!
//! Signing: the proof options (the proof without `proofValue`, carrying
//! the document's `@context`) and the document without its proof are each
//! canonicalised with JCS and hashed with SHA-256; the signature covers
//! the proof hash followed by the document hash, and is written as a
//! base58btc multibase string. Verification repeats that and checks the
//! signature with the key the verification method names. Keys are
//! `did:key` identifiers, so a credential carries its own public key and
//! stays verifiable after the issuer rotates to a new key; whether the key
//! belongs to this instance is a separate question the caller answers.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The cryptosuite this module speaks.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// The multicodec prefix of an Ed25519 public key (0xed, varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// The multicodec prefix of an Ed25519 private key (0x1300, varint).
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// The JSON Canonicalization Scheme (RFC 8785) form of a value: object
/// members sorted by their UTF-16 code units, no whitespace, strings
/// escaped as ECMAScript does, numbers in ECMAScript's shortest form.
pub fn jcs(value: &Value) -> String {
    let mut out = String::new();
    write_jcs(value, &mut out);
    out
}

fn write_jcs(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        // serde_json escapes exactly the characters ECMAScript's
        // JSON.stringify escapes, with lower-case \u00xx.
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_jcs(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_jcs(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// ECMAScript's Number.prototype.toString for a finite double.
fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let x = n.as_f64().unwrap_or(0.0);
    if x == 0.0 {
        return "0".into();
    }
    // `{:e}` gives the shortest round-trip digits: "d.ddddeN".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(1);
    let n = exp + 1; // position of the decimal point after the first digit
    let sign = if x < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign_e = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{sign_e}{}", e.abs())
        } else {
            format!("{}.{}e{sign_e}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

/// The `did:key` identifier of an Ed25519 public key.
pub fn did_key(public: &[u8; 32]) -> String {
    format!("did:key:{}", multibase_key(&ED25519_PUB, public))
}

fn multibase_key(prefix: &[u8; 2], key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(prefix);
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

fn decode_multibase_key(prefix: &[u8; 2], s: &str) -> Option<[u8; 32]> {
    let b58 = s.strip_prefix('z')?;
    let bytes = bs58::decode(b58).into_vec().ok()?;
    if bytes.len() != 34 || bytes[..2] != prefix[..] {
        return None;
    }
    bytes[2..].try_into().ok()
}

/// The public key a `did:key` verification method names
/// (`did:key:z6Mk…#z6Mk…` or `did:key:z6Mk…`).
pub fn public_key_of(verification_method: &str) -> Option<[u8; 32]> {
    let rest = verification_method.strip_prefix("did:key:")?;
    let (id, fragment) = rest.split_once('#').unwrap_or((rest, rest));
    if id != fragment {
        return None;
    }
    decode_multibase_key(&ED25519_PUB, id)
}

/// An issuing key.
pub struct IssuerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("did", &self.did())
            .finish_non_exhaustive()
    }
}

impl IssuerKey {
    /// A key from its 32 secret bytes.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(secret),
        }
    }

    /// A key from a multibase private key (`z3u2…`), as test vectors give it.
    pub fn from_multibase(private: &str) -> Option<Self> {
        decode_multibase_key(&ED25519_PRIV, private).map(|s| Self::from_secret(&s))
    }

    /// The public key.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The `did:key` of the public key.
    pub fn did(&self) -> String {
        did_key(&self.public())
    }

    /// The verification method: `did:key:…#…`.
    pub fn verification_method(&self) -> String {
        let did = self.did();
        let id = did.trim_start_matches("did:key:").to_owned();
        format!("{did}#{id}")
    }

    /// Adds an `eddsa-jcs-2022` proof to a document (a JSON object without
    /// a proof). Returns `None` if the document is not an object.
    pub fn sign(&self, document: &Value, created: DateTime<Utc>) -> Option<Value> {
        let Value::Object(doc) = document else {
            return None;
        };
        let mut options = Map::new();
        options.insert("type".into(), json!("DataIntegrityProof"));
        options.insert("cryptosuite".into(), json!(CRYPTOSUITE));
        options.insert(
            "created".into(),
            json!(created.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        options.insert(
            "verificationMethod".into(),
            json!(self.verification_method()),
        );
        options.insert("proofPurpose".into(), json!("assertionMethod"));
        if let Some(context) = doc.get("@context") {
            options.insert("@context".into(), context.clone());
        }
        let data = hash_data(&Value::Object(options.clone()), document);
        let signature = self.signing.sign(&data);
        options.insert(
            "proofValue".into(),
            json!(format!(
                "z{}",
                bs58::encode(signature.to_bytes()).into_string()
            )),
        );
        let mut signed = doc.clone();
        signed.insert("proof".into(), Value::Object(options));
        Some(Value::Object(signed))
    }
}

fn hash_data(proof_options: &Value, document: &Value) -> Vec<u8> {
    let mut data = Sha256::digest(jcs(proof_options).as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(jcs(document).as_bytes()));
    data
}

/// Why a credential did not verify, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON, or not an object.
    #[error("this is not a JSON credential: {0}")]
    NotJson(String),
    /// No `proof` member.
    #[error("the credential has no proof, so nobody vouches for it")]
    NoProof,
    /// A proof of another kind.
    #[error("the proof uses \"{0}\"; only the eddsa-jcs-2022 cryptosuite is supported")]
    UnsupportedProof(String),
    /// A proof member is missing or malformed.
    #[error("the proof is malformed: {0}")]
    MalformedProof(String),
    /// The key cannot be read from the verification method.
    #[error("the proof names a key that cannot be read: {0}")]
    UnknownKey(String),
    /// The signature does not match.
    #[error(
        "the signature does not match: the credential was changed after it was signed, or it was not signed with the key it names"
    )]
    BadSignature,
    /// The credential's `validUntil` has passed.
    #[error("the credential expired on {0}")]
    Expired(String),
    /// The credential's `validFrom` is in the future.
    #[error("the credential is not valid until {0}")]
    NotYetValid(String),
}

/// A credential whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signing key.
    pub public_key: [u8; 32],
    /// The verification method as written.
    pub verification_method: String,
    /// When the proof says it was made.
    pub created: Option<String>,
}

/// Verifies an `eddsa-jcs-2022` proof with a `did:key` verification
/// method, and the credential's validity period against `now`.
pub fn verify(credential: &Value, now: DateTime<Utc>) -> Result<Verified, VerifyError> {
    let Value::Object(doc) = credential else {
        return Err(VerifyError::NotJson(
            "the top level is not an object".into(),
        ));
    };
    let proof = match doc.get("proof") {
        Some(Value::Object(p)) => p.clone(),
        Some(Value::Array(_)) => {
            return Err(VerifyError::MalformedProof(
                "several proofs (a proof set) are not supported".into(),
            ));
        }
        Some(_) => {
            return Err(VerifyError::MalformedProof(
                "the proof is not an object".into(),
            ));
        }
        None => return Err(VerifyError::NoProof),
    };
    match proof.get("type").and_then(Value::as_str) {
        Some("DataIntegrityProof") => {}
        Some(other) => return Err(VerifyError::UnsupportedProof(other.to_owned())),
        None => return Err(VerifyError::MalformedProof("it has no type".into())),
    }
    match proof.get("cryptosuite").and_then(Value::as_str) {
        Some(CRYPTOSUITE) => {}
        Some(other) => return Err(VerifyError::UnsupportedProof(other.to_owned())),
        None => {
            return Err(VerifyError::MalformedProof(
                "it names no cryptosuite".into(),
            ));
        }
    }
    if proof.get("proofPurpose").and_then(Value::as_str) != Some("assertionMethod") {
        return Err(VerifyError::MalformedProof(
            "its purpose is not assertionMethod".into(),
        ));
    }
    let method = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| VerifyError::MalformedProof("it names no verification method".into()))?
        .to_owned();
    let public_key =
        public_key_of(&method).ok_or_else(|| VerifyError::UnknownKey(method.clone()))?;
    let proof_value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or_else(|| VerifyError::MalformedProof("it has no proofValue".into()))?;
    let signature: [u8; 64] = proof_value
        .strip_prefix('z')
        .and_then(|b| bs58::decode(b).into_vec().ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            VerifyError::MalformedProof("the proofValue is not a base58btc signature".into())
        })?;
    let mut options = proof.clone();
    options.remove("proofValue");
    if let Some(context) = options.get("@context")
        && Some(context) != doc.get("@context")
    {
        return Err(VerifyError::MalformedProof(
            "its @context differs from the credential's".into(),
        ));
    }
    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    let data = hash_data(&Value::Object(options), &Value::Object(unsecured));
    let key = VerifyingKey::from_bytes(&public_key)
        .map_err(|_| VerifyError::UnknownKey(method.clone()))?;
    key.verify_strict(&data, &Signature::from_bytes(&signature))
        .map_err(|_| VerifyError::BadSignature)?;
    let date = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    if let Some(until) = date("validUntil")
        && until < now
    {
        return Err(VerifyError::Expired(until.format("%-d %B %Y").to_string()));
    }
    if let Some(from) = date("validFrom")
        && from > now
    {
        return Err(VerifyError::NotYetValid(
            from.format("%-d %B %Y").to_string(),
        ));
    }
    Ok(Verified {
        public_key,
        verification_method: method,
        created: proof
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// What an Open Badges 3.0 course credential says.
#[derive(Debug, Clone)]
pub struct Achievement<'a> {
    /// `urn:uuid:…` of this credential.
    pub credential_id: String,
    /// The issuing instance's public address.
    pub issuer_url: &'a str,
    /// The issuing instance's name.
    pub issuer_name: &'a str,
    /// The course's address.
    pub course_url: String,
    /// The course title.
    pub course_title: &'a str,
    /// The course summary.
    pub course_summary: &'a str,
    /// When it was earned.
    pub issued: DateTime<Utc>,
}

/// The unsigned Open Badges 3.0 `OpenBadgeCredential` for a completed
/// course. It names no person: the learner holds it, and the name on the
/// printed certificate is typed at print time and never stored.
pub fn achievement_credential(a: &Achievement<'_>) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": a.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": a.issuer_url,
            "type": ["Profile"],
            "name": a.issuer_name
        },
        "validFrom": a.issued.to_rfc3339_opts(SecondsFormat::Secs, true),
        "name": a.course_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": a.course_url,
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": a.course_title,
                "description": a.course_summary,
                "criteria": {
                    "narrative": "Completed every lesson of the course and passed each of its quizzes."
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/w3c-vc-di-eddsa");

    fn read(name: &str) -> String {
        std::fs::read_to_string(format!("{VECTORS}/{name}"))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn json(name: &str) -> Value {
        serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn canonical_forms_match_the_w3c_vectors() {
        let mut doc = json("eddsa-jcs-2022/signedJCS.json");
        if let Value::Object(m) = &mut doc {
            m.remove("proof");
        }
        assert_eq!(jcs(&doc), read("eddsa-jcs-2022/canonDocJCS.txt").trim());
        assert_eq!(
            jcs(&json("eddsa-jcs-2022/proofConfigJCS.json")),
            read("eddsa-jcs-2022/proofCanonJCS.txt").trim()
        );
    }

    #[test]
    fn the_w3c_signed_vector_verifies_and_our_signature_is_identical() {
        let signed = json("eddsa-jcs-2022/signedJCS.json");
        let verified = verify(&signed, now()).expect("the W3C vector verifies");
        let keys = json("keyPair.json");
        let public = keys["publicKeyMultibase"].as_str().unwrap_or_default();
        assert_eq!(
            verified.verification_method,
            format!("did:key:{public}#{public}")
        );

        let key =
            IssuerKey::from_multibase(keys["privateKeyMultibase"].as_str().unwrap_or_default())
                .expect("the vector's private key reads");
        assert_eq!(key.did(), format!("did:key:{public}"));
        let mut unsigned = signed.clone();
        if let Value::Object(m) = &mut unsigned {
            m.remove("proof");
        }
        let created = DateTime::parse_from_rfc3339("2023-02-24T23:36:38Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let ours = key.sign(&unsigned, created).expect("an object signs");
        assert_eq!(
            ours["proof"]["proofValue"],
            Value::String(read("eddsa-jcs-2022/sigBTC58JCS.txt").trim().to_owned())
        );
    }

    #[test]
    fn tampering_is_caught_with_a_reason() {
        let signed = json("eddsa-jcs-2022/signedJCS.json");
        let mut changed = signed.clone();
        changed["credentialSubject"]["alumniOf"] = json!("Another School");
        assert_eq!(verify(&changed, now()), Err(VerifyError::BadSignature));

        let mut no_proof = signed.clone();
        if let Value::Object(m) = &mut no_proof {
            m.remove("proof");
        }
        assert_eq!(verify(&no_proof, now()), Err(VerifyError::NoProof));

        let mut other_suite = signed.clone();
        other_suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(matches!(
            verify(&other_suite, now()),
            Err(VerifyError::UnsupportedProof(_))
        ));

        let mut bad_value = signed.clone();
        bad_value["proof"]["proofValue"] = json!("not base58!");
        assert!(matches!(
            verify(&bad_value, now()),
            Err(VerifyError::MalformedProof(_))
        ));

        let mut other_key = signed;
        let stranger = IssuerKey::from_secret(&[7; 32]);
        other_key["proof"]["verificationMethod"] = json!(stranger.verification_method());
        other_key["proof"]["@context"] = other_key["@context"].clone();
        assert_eq!(verify(&other_key, now()), Err(VerifyError::BadSignature));
        assert!(matches!(
            verify(&json!([1]), now()),
            Err(VerifyError::NotJson(_))
        ));
    }

    #[test]
    fn an_achievement_credential_round_trips_and_expires() {
        let key = IssuerKey::from_secret(&[3; 32]);
        let doc = achievement_credential(&Achievement {
            credential_id: "urn:uuid:0192f0c0-0000-7000-8000-000000000001".into(),
            issuer_url: "https://learn.example.org",
            issuer_name: "Example Lyceum",
            course_url: "https://learn.example.org/courses/spreadsheets".into(),
            course_title: "Spreadsheets: the first steps",
            course_summary: "Rows, columns and formulas.",
            issued: now(),
        });
        let signed = key.sign(&doc, now()).expect("signs");
        let v = verify(&signed, now()).expect("verifies");
        assert_eq!(v.public_key, key.public());
        let mut expiring = doc.clone();
        expiring["validUntil"] = json!("2026-01-01T00:00:00Z");
        let signed = key.sign(&expiring, now()).expect("signs");
        assert!(matches!(
            verify(&signed, now()),
            Err(VerifyError::Expired(_))
        ));
    }

    #[test]
    fn numbers_follow_ecmascript() {
        let cases = [
            (json!(1.5), "1.5"),
            (json!(1e21), "1e+21"),
            (json!(1e20), "100000000000000000000"),
            (json!(0.000001), "0.000001"),
            (json!(1e-7), "1e-7"),
            (json!(-12.25), "-12.25"),
            (json!(123456789), "123456789"),
        ];
        for (v, want) in cases {
            assert_eq!(jcs(&v), want);
        }
        assert_eq!(
            jcs(&json!({"b": "\u{1f}é", "a": [true, null]})),
            "{\"a\":[true,null],\"b\":\"\\u001fé\"}"
        );
    }
}
