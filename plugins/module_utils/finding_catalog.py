# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog of finding keys: the one place that says what each finding means.

For every stable key: the payload it belongs to, its severity, whether it blocks the
cut-over (inhibitor), the kind of its remediation (``None``: it has none), and the title,
summary and remediation templates in German (``de``, the report's language) and English
(``en``, the texts report.json carries). ``findings.Finding.of`` builds a finding from a
key, its parameters and its resources; placeholders (``{share}``) are filled from the
parameters, ``{kommune}`` from the finding's Kommune.

A text is a string, or a table of variants chosen by the parameter ``variant`` (where one
key is raised in situations that need different words, e.g. by pre-flight and by a pass).
Parameters are data (names, paths, counts, lists, and reasons by code); the words around
them are here, and so are the reasons' sentences (``REASONS``): a parameter that says why
(a path's problem, why a name has no new name) carries a code and its arguments, which each
language words itself. In a template, ``{paths:; }`` joins a list with "; " (", " without a
spec). Keys never change: waivers (lab/waivers.yml), run comparisons and the docs
match on them.

Plain data, standard library only: modules import it on managed hosts.
"""

from __future__ import annotations

LANGUAGES = ("de", "en")
TEXT_FIELDS = ("title", "summary", "remediation")

# Shared wording of the pre-flight findings that list paths of one share.
_PATHS_EN = "{count} path(s) in share {share}. {first:; }{more}"
_PATHS_DE = "{count} Pfad(e) in der Freigabe {share}. {first:; }{more}"
_RENAME_EN = "Rename these paths before the final pass."
_RENAME_DE = "Diese Pfade vor dem letzten Kopierlauf umbenennen."
# The four reasons a client configuration file is not rewritten.
_CONFIG_SUMMARY_EN = {"plain": "{location}: {message}", "selector": "{location}: {message} (selector {selector})"}
_CONFIG_SUMMARY_DE = {"plain": "{location}: {message}", "selector": "{location}: {message} (Selektor {selector})"}
# Same verify summary for the three kinds of mismatch.
_VERIFY_EN = "{count} path(s): {detail}{more}"
_VERIFY_DE = "{count} Pfad(e): {detail}{more}"
_MANUAL_NAME_EN = "Set a manual new_name in the mapping file if this one is not wanted."
_MANUAL_NAME_DE = "Einen manuellen new_name in der Zuordnungsdatei setzen, falls dieser Name nicht gewünscht ist."

# The sentences a finding's parameters name by code (findings.Reason): {code: {language: template}}.
REASONS = {
    # A path's problem in the pre-flight lists of shares.* (shares/names.py, shares/preflight.py).
    "path_problem": {"en": "{path}: {reason}", "de": "{path}: {reason}"},
    "name_not_utf8": {"en": "the name is not valid UTF-8", "de": "der Name ist kein gültiges UTF-8"},
    "name_invalid_character": {"en": "the name contains {characters}, which SMB clients cannot use",
                               "de": "der Name enthält {characters}, die SMB-Clients nicht verwenden können"},
    "name_trailing_dot_or_space": {"en": "the name ends in a dot or a space",
                                   "de": "der Name endet auf einen Punkt oder ein Leerzeichen"},
    "name_reserved": {"en": "{device} is a reserved DOS device name",
                      "de": "{device} ist ein reservierter DOS-Gerätename"},
    "name_too_long": {"en": "the name has {units} UTF-16 units, more than {limit}",
                      "de": "der Name hat {units} UTF-16-Einheiten, mehr als {limit}"},
    "path_beyond_path_max": {"en": "the path has {bytes} bytes below the share root, more than the {limit} Linux "
                                   "takes (PATH_MAX): it is not copied",
                             "de": "der Pfad hat unterhalb der Freigabe {bytes} Bytes, mehr als die {limit}, die "
                                   "Linux erlaubt (PATH_MAX): er wird nicht kopiert"},
    "path_too_long": {"en": "the path on the target has {units} characters, more than {limit}",
                      "de": "der Pfad auf dem Ziel hat {units} Zeichen, mehr als {limit}"},
    "xattr_not_carried": {"en": "{names} will not arrive on the target",
                          "de": "{names} kommen auf dem Ziel nicht an"},
    "sparse_file": {"en": "{size} bytes, {allocated} allocated", "de": "{size} Bytes, {allocated} belegt"},
    "special_file": {"en": "a device, fifo or socket: it is not copied",
                     "de": "eine Gerätedatei, ein FIFO oder ein Socket: wird nicht kopiert"},
    "case_collision": {"en": "collides with {paths}", "de": "kollidiert mit {paths}"},
    "hard_link": {"en": "{count} names in this share for one file (inode {inode})",
                  "de": "{count} Namen in dieser Freigabe für eine Datei (Inode {inode})"},
    "hard_link_outside": {"en": "{count} names in this share for one file (inode {inode}); its other names are "
                                "outside the share",
                          "de": "{count} Namen in dieser Freigabe für eine Datei (Inode {inode}); ihre anderen "
                                "Namen liegen außerhalb der Freigabe"},
    # The SMB walk knows a file by its file id (``preflight.Walk`` passes it as ``inode``).
    "hard_link_file_id": {"en": "{count} names in this share for one file (file id {inode})",
                          "de": "{count} Namen in dieser Freigabe für eine Datei (Datei-ID {inode})"},
    "hard_link_file_id_outside": {"en": "{count} names in this share for one file (file id {inode}); its other "
                                        "names are outside the share",
                                  "de": "{count} Namen in dieser Freigabe für eine Datei (Datei-ID {inode}); ihre "
                                        "anderen Namen liegen außerhalb der Freigabe"},
    "symlink_inside": {"en": "points to {target} inside the share",
                       "de": "zeigt auf {target} innerhalb der Freigabe"},
    "symlink_outside": {"en": "points to {target}, outside the share: copied as a link, its target is not",
                        "de": "zeigt auf {target} außerhalb der Freigabe: als Link kopiert, sein Ziel nicht"},
    # An unmapped SID of shares.sid_unmapped, with the old name where the export has one.
    "sid_named": {"en": "{sid} ({name}, {paths} paths)", "de": "{sid} ({name}, {paths} Pfade)"},
    "sid_unnamed": {"en": "{sid} (unknown, {paths} paths)", "de": "{sid} (unbekannt, {paths} Pfade)"},
    # Why the source's sender skipped a path during the copy (shares.path_changed_during_copy): the
    # agent sends these codes (shares/tree.py CHANGED, shares/send.py), shares/sync.py makes Reasons.
    "path_changed": {"en": "{path} ({reason})", "de": "{path} ({reason})"},
    "path_in_folder": {"en": "folder {folder}: {reason}", "de": "Ordner {folder}: {reason}"},
    "path_gone": {"en": "gone", "de": "nicht mehr vorhanden"},
    "path_symlink_now": {"en": "a symlink now", "de": "jetzt ein Symlink"},
    "path_other_type_now": {"en": "of another type now", "de": "jetzt von anderer Art"},
    "path_not_plain": {"en": "not a plain path below the share root",
                       "de": "kein einfacher Pfad unterhalb der Freigabe"},
    "path_changed_while_opened": {"en": "changed while it was opened", "de": "beim Öffnen geändert"},
    "path_no_longer_symlink": {"en": "no longer a symlink", "de": "kein Symlink mehr"},
    "path_changed_while_read": {"en": "changed while it was read", "de": "beim Lesen geändert"},
    "path_shrank": {"en": "shrank by {bytes} bytes while it was read",
                    "de": "beim Lesen um {bytes} Bytes geschrumpft"},
    # Why a name in a share's setting has no new name (shares/principals.py).
    "not_old_domain": {"en": "{domain} is not the Kommune's old domain",
                       "de": "{domain} ist nicht die alte Domäne der Kommune"},
    "no_new_user": {"en": "the identity mapping has no new user for {account}",
                    "de": "die Identitätszuordnung hat keinen neuen Benutzer für {account}"},
    "no_new_group": {"en": "the identity mapping has no new group for {account}",
                     "de": "die Identitätszuordnung hat keine neue Gruppe für {account}"},
    # Values an identity does not have (identity/mapping.py).
    "no_sid": {"en": "no SID", "de": "keine SID"},
    "unknown_sid_object": {"en": "an object of unknown SID", "de": "ein Objekt mit unbekannter SID"},
    "empty": {"en": "empty", "de": "leer"},
    # The acceptance suite's result (roles/wave/tasks/steps/acceptance.yml).
    "acceptance_counts": {"en": "{passed} passed, {failed} failed, {errors} errors, {skipped} skipped",
                          "de": "{passed} bestanden, {failed} fehlgeschlagen, {errors} Fehler, {skipped} "
                                "übersprungen"},
    "acceptance_counts_expected": {
        "en": "{passed} passed, {failed} failed, {errors} errors, {skipped} skipped (expected: {expected})",
        "de": "{passed} bestanden, {failed} fehlgeschlagen, {errors} Fehler, {skipped} übersprungen "
              "(erwartet: {expected})"},
    # Where a run of the cut-over's split suite ran (acceptance_frozen, acceptance).
    "acceptance_in_freeze": {"en": "ran inside the freeze, before service resumed: {parts}",
                             "de": "im Einfrieren ausgeführt, bevor der Betrieb wieder aufgenommen wurde: {parts}"},
    "acceptance_after_resume": {"en": "ran after service resumed: {parts}",
                                "de": "ausgeführt, nachdem der Betrieb wieder aufgenommen wurde: {parts}"},
    "acceptance_not_run": {"en": "not run: {parts} (wave_acceptance_parts); nothing of them was checked",
                           "de": "nicht ausgeführt: {parts} (wave_acceptance_parts); davon wurde nichts geprüft"},
    "acceptance_no_results": {"en": "{path}: the suite wrote no results",
                              "de": "{path}: die Testsuite hat keine Ergebnisse geschrieben"},
    "acceptance_no_suite": {"en": "{path} does not exist", "de": "{path} existiert nicht"},
    "tests_failed": {"en": "FAILED {tests:; FAILED }", "de": "FEHLGESCHLAGEN {tests:; FEHLGESCHLAGEN }"},
    "more": {"en": "... {count} more", "de": "... {count} weitere"},
    # Why a finding or a waiver file cannot be used (findings.FindingError, the report's WaiverError):
    # report.invalid_finding, report.waiver_file_invalid. A library's own message ({error}) is data.
    "reason_argument_code": {"en": "reason {reason}: an argument may not be called 'code'",
                             "de": "Begründung {reason}: ein Argument darf nicht 'code' heißen"},
    "reason_unknown": {"en": "reason {reason} is not in the catalog's REASONS",
                       "de": "Begründung {reason} steht nicht in den REASONS des Katalogs"},
    "reason_argument_missing": {"en": "reason {reason}: argument {argument} is missing",
                                "de": "Begründung {reason}: das Argument {argument} fehlt"},
    "remediation_kind_unknown": {"en": "remediation kind {kind} is not one of {kinds}",
                                 "de": "Art der Abhilfe {kind} ist keine von {kinds}"},
    "finding_key_malformed": {"en": "finding key {key} is not a dotted lower-case key like 'shares.path_too_long'",
                              "de": "Befundschlüssel {key} ist kein Schlüssel aus Kleinbuchstaben mit Punkten wie "
                                    "'shares.path_too_long'"},
    "finding_severity_unknown": {"en": "finding {key}: severity {severity} is not one of {severities}",
                                 "de": "Befund {key}: Schweregrad {severity} ist keiner von {severities}"},
    "finding_payload_unknown": {"en": "finding {key}: payload {payload} is not one of {payloads}",
                                "de": "Befund {key}: Nutzlast {payload} ist keine von {payloads}"},
    "finding_title_empty": {"en": "finding {key}: title is empty", "de": "Befund {key}: der Titel ist leer"},
    "finding_field_type": {"en": "finding {key}: {field} must be {expected}, not {value}",
                           "de": "Befund {key}: {field} muss {expected} sein, nicht {value}"},
    "finding_parameter_malformed": {"en": "finding {key}: parameter {parameter} is {value}, neither text, a list, "
                                          "a reason (code) nor a name in each language (de, en)",
                                    "de": "Befund {key}: Parameter {parameter} ist {value}, weder Text, Liste, "
                                          "Begründung (code) noch ein Name in jeder Sprache (de, en)"},
    "remediation_text_type": {"en": "remediation {kind}: its text must be text, not {value}",
                              "de": "Abhilfe {kind}: ihr Text muss Text sein, nicht {value}"},
    "finding_field_missing": {"en": "finding {key}: missing field {field}",
                              "de": "Befund {key}: das Feld {field} fehlt"},
    "finding_key_unknown": {"en": "finding key {key} is not in the catalog (plugins/module_utils/finding_catalog.py)",
                            "de": "Befundschlüssel {key} steht nicht im Katalog "
                                  "(plugins/module_utils/finding_catalog.py)"},
    "finding_variant_unknown": {"en": "finding {key}: variant {variant} is not one of {variants}",
                                "de": "Befund {key}: Variante {variant} ist keine von {variants}"},
    "language_unknown": {"en": "language {language} is not one of {languages}",
                         "de": "Sprache {language} ist keine von {languages}"},
    "finding_parameter_missing": {"en": "finding {key}: parameter {parameter} of its {field} is missing",
                                  "de": "Befund {key}: der Parameter {parameter} im Feld {field} fehlt"},
    "finding_unreadable": {"en": "{error}", "de": "{error}"},
    "waiver_not_mapping": {"en": "waiver {number}: expected a mapping",
                           "de": "Ausnahme {number}: erwartet wird ein Mapping"},
    "waiver_fields_missing": {"en": "waiver {number} ({key}): missing {fields}",
                              "de": "Ausnahme {number} ({key}): es fehlt {fields}"},
    "waiver_fields_unknown": {"en": "waiver {number} ({key}): unknown key {fields}",
                              "de": "Ausnahme {number} ({key}): unbekannter Schlüssel {fields}"},
    "waiver_expires_not_date": {"en": "waiver {number} ({key}): expires {value} is not a date YYYY-MM-DD",
                                "de": "Ausnahme {number} ({key}): expires {value} ist kein Datum JJJJ-MM-TT"},
    "waivers_not_list": {"en": "the waivers must be a list", "de": "die Ausnahmen müssen eine Liste sein"},
    "waiver_file_unreadable": {"en": "the file cannot be read: {error}",
                               "de": "die Datei kann nicht gelesen werden: {error}"},
    "waiver_file_unusable": {"en": "the waiver file {path} cannot be used: {error}",
                             "de": "die Ausnahmedatei {path} ist nicht verwendbar: {error}"},
    # Why a client configuration is not rewritten (clients/endpoints: the parsers and the endpoint check).
    "selector_no_match": {"en": "selector matches nothing in this file",
                          "de": "der Selektor trifft in dieser Datei nichts"},
    "not_a_port": {"en": "{value} is not a port number", "de": "{value} ist keine Portnummer"},
    "invalid_json": {"en": "invalid JSON: {error} (column {column})",
                     "de": "ungültiges JSON: {error} (Spalte {column})"},
    "json_reaches_scalar": {"en": "the path reaches {value}, not a string",
                            "de": "der Pfad trifft {value}, keine Zeichenkette"},
    "json_reaches_container": {"en": "the path reaches an object or array, not a string",
                               "de": "der Pfad trifft ein Objekt oder Array, keine Zeichenkette"},
    "ini_unterminated_section": {"en": "unterminated section header: {line}",
                                 "de": "nicht abgeschlossener Abschnittskopf: {line}"},
    "ini_not_an_entry": {"en": "not a section, key=value or comment: {line}",
                         "de": "weder Abschnitt noch key=value noch Kommentar: {line}"},
    "not_in_encoding": {"en": "file is not valid {codec} (byte {byte}); declare its encoding in the client profile",
                        "de": "die Datei ist kein gültiges {codec} (Byte {byte}); ihre Kodierung im Client-Profil "
                              "angeben"},
    "bom_mismatch": {"en": "client profile declares {declared} but the file starts with a {bom} BOM",
                     "de": "das Client-Profil gibt {declared} an, die Datei beginnt aber mit einer {bom}-BOM"},
    "netuse_unbalanced_quote": {"en": "unbalanced quote in a net use command",
                                "de": "unausgeglichenes Anführungszeichen in einem net-use-Befehl"},
    "properties_bad_escape": {"en": "malformed \\uxxxx escape: {digits}",
                              "de": "fehlerhafte \\uxxxx-Escape-Sequenz: {digits}"},
    "xml_declaration_mismatch": {"en": "the XML declaration says {declared}, the client profile {encoding}",
                                 "de": "die XML-Deklaration nennt {declared}, das Client-Profil {encoding}"},
    "invalid_xml": {"en": "invalid XML: {error}", "de": "ungültiges XML: {error}"},
    "xml_attribute_entity": {"en": "the attribute uses an entity umzug cannot expand",
                             "de": "das Attribut verwendet eine Entität, die umzug nicht auflösen kann"},
    "xml_text_entity": {"en": "the text uses an entity umzug cannot expand",
                        "de": "der Text verwendet eine Entität, die umzug nicht auflösen kann"},
    "xml_mixed_content": {"en": "<{element}> has mixed content, not a single text value",
                          "de": "<{element}> hat gemischten Inhalt, keinen einzelnen Textwert"},
    "reg_unknown_escape": {"en": "unknown escape {escape} in a string",
                           "de": "unbekannte Escape-Sequenz {escape} in einer Zeichenkette"},
    "reg_unclosed_string": {"en": "string without closing quote",
                            "de": "Zeichenkette ohne schließendes Anführungszeichen"},
    "reg_not_an_export": {"en": "not a registry export: the first line is {first}, not {header} or {other}",
                          "de": "kein Registry-Export: die erste Zeile ist {first}, nicht {header} oder {other}"},
    "reg_broken_hex": {"en": "broken hex continuation line", "de": "fehlerhafte Hex-Fortsetzungszeile"},
    "reg_value_outside_key": {"en": "value outside a key (or inside a deleted key)",
                              "de": "Wert außerhalb eines Schlüssels (oder in einem gelöschten Schlüssel)"},
    "reg_not_an_entry": {"en": "not a key, value or comment: {line}",
                         "de": "weder Schlüssel noch Wert noch Kommentar: {line}"},
    "reg_no_equals": {"en": "value name not followed by '='", "de": "auf den Wertnamen folgt kein '='"},
    "reg_text_after_quote": {"en": "text after the closing quote",
                             "de": "Text nach dem schließenden Anführungszeichen"},
    "reg_unknown_type": {"en": "unknown value type: {value}", "de": "unbekannter Werttyp: {value}"},
    "reg_expand_sz": {"en": "the value is stored as hex(2) (REG_EXPAND_SZ); re-point it by hand",
                      "de": "der Wert ist als hex(2) (REG_EXPAND_SZ) gespeichert; von Hand umstellen"},
    "value_not_a_string": {"en": "the value {value} is not a string", "de": "der Wert {value} ist keine Zeichenkette"},
    "invalid_yaml": {"en": "invalid YAML: {error}", "de": "ungültiges YAML: {error}"},
    "yaml_reaches_container": {"en": "the path reaches a mapping or list, not a value",
                               "de": "der Pfad trifft eine Zuordnung oder Liste, keinen Wert"},
    "yaml_block_scalar": {"en": "the value is a block or multi-line YAML scalar; re-point it by hand",
                          "de": "der Wert ist ein Block- oder mehrzeiliger YAML-Skalar; von Hand umstellen"},
    "rdp_not_a_setting": {"en": "not a name:type:value setting: {line}",
                          "de": "keine Einstellung der Form name:typ:wert: {line}"},
    "rdp_not_a_string": {"en": "{key} is not a string setting", "de": "{key} ist keine Zeichenketten-Einstellung"},
    "unencodable": {"en": "{value} cannot be written in this file's encoding ({codec})",
                    "de": "{value} lässt sich in der Kodierung dieser Datei ({codec}) nicht schreiben"},
    "endpoint_empty": {"en": "the value is empty", "de": "der Wert ist leer"},
    "endpoint_whitespace": {"en": "{value} contains whitespace", "de": "{value} enthält Leerraum"},
    "endpoint_unknown_form": {"en": "{value} is not a host, host:port, URL, UNC path or JDBC URL",
                              "de": "{value} ist weder Host, host:port, URL, UNC-Pfad noch JDBC-URL"},
    "endpoint_port_range": {"en": "{value} has port {port} out of range",
                            "de": "{value} hat den Port {port} außerhalb des gültigen Bereichs"},
    "endpoint_no_host": {"en": "{value} names no host", "de": "{value} nennt keinen Host"},
    "endpoint_bad_server": {"en": "{value}: {host} is not a server name", "de": "{value}: {host} ist kein Servername"},
    "endpoint_tns_no_host": {"en": "{value}: TNS descriptor names no host",
                             "de": "{value}: der TNS-Deskriptor nennt keinen Host"},
    "endpoint_jdbc_alias": {"en": "{value} is a JDBC URL that names no host (a DSN or driver alias?)",
                            "de": "{value} ist eine JDBC-URL ohne Host (ein DSN oder Treiber-Alias?)"},
    "endpoint_jdbc_no_host": {"en": "{value} is a JDBC URL that names no host",
                              "de": "{value} ist eine JDBC-URL ohne Host"},
    # Why the gate decided as it did (plugin_utils/report/model.py verdict), in wave.gate_closed and the report.
    "incomplete": {"en": "run incomplete", "de": "Lauf unvollständig"},
    "unwaived_inhibitors": {"en": "open inhibitors", "de": "offene Blocker"},
    "rz_inhibitors": {"en": "open inhibitors in the data centre", "de": "offene Blocker im Rechenzentrum"},
    "waived_inhibitors": {"en": "inhibitors accepted by waiver", "de": "Blocker per Ausnahme akzeptiert"},
    "high_findings": {"en": "high-severity findings", "de": "Befunde mit hoher Schwere"},
    # A path a pass left out (modules/share_sync.py).
    "path_beyond_path_max_pass": {
        "en": "{bytes} bytes below the share root; with the target's folder the path is longer than the {limit} "
              "bytes Linux takes (PATH_MAX): it was not copied",
        "de": "{bytes} Bytes unterhalb der Freigabe; mit dem Ordner des Ziels ist der Pfad länger als die {limit} "
              "Bytes, die Linux erlaubt (PATH_MAX): er wurde nicht kopiert"},
    # Where a name has invisible characters (identity/naming.py); the characters by their Unicode names.
    "invisible_in_name": {"en": "name: {characters}", "de": "Name: {characters}"},
    "invisible_in_given_name": {"en": "given name: {characters}", "de": "Vorname: {characters}"},
    "invisible_in_surname": {"en": "surname: {characters}", "de": "Nachname: {characters}"},
    "invisible_in_display_name": {"en": "display name: {characters}", "de": "Anzeigename: {characters}"},
    # Why a client probe failed (modules/client_probe.py); what a server or a tool said is data.
    "probe_banner": {"en": "{target} answered {received}, expected /{banner}/",
                     "de": "{target} antwortete {received}, erwartet /{banner}/"},
    "probe_http_status": {"en": "{url} answered HTTP {got}, expected {status}",
                          "de": "{url} antwortete mit HTTP {got}, erwartet {status}"},
    "probe_not_xml": {"en": "{url} is not XML: {error}", "de": "{url} ist kein XML: {error}"},
    "probe_not_wsdl": {"en": "{url} is XML but not a WSDL document (root {root})",
                       "de": "{url} ist XML, aber kein WSDL-Dokument (Wurzel {root})"},
    "probe_not_installed": {"en": "{program} is not installed on this host",
                            "de": "{program} ist auf diesem Host nicht installiert"},
    "probe_odbc_answer": {"en": "isql {dsn}: answer {answer} does not match /{expect}/",
                          "de": "isql {dsn}: die Antwort {answer} passt nicht zu /{expect}/"},
    "probe_no_value": {"en": "no value for {endpoint} in the client's configuration",
                       "de": "kein Wert für {endpoint} in der Konfiguration des Clients"},
}

CATALOG = {
    # ----------------------------------------------------------------------------- shares
    "shares.name_invalid_utf8": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Names that are not valid UTF-8 in share {share}", "summary": _PATHS_EN,
               "remediation": "Rename the files with a UTF-8 name (convmv -f latin1 -t utf8) before the final pass."},
        "de": {"title": "Namen, die kein gültiges UTF-8 sind, in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Die Dateien vor dem letzten Kopierlauf auf UTF-8-Namen umbenennen "
                              "(convmv -f latin1 -t utf8)."},
    },
    "shares.name_invalid_character": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Names with characters SMB clients cannot use in share {share}", "summary": _PATHS_EN,
               "remediation": _RENAME_EN},
        "de": {"title": "Namen mit Zeichen, die SMB-Clients nicht verwenden können, in der Freigabe {share}",
               "summary": _PATHS_DE, "remediation": _RENAME_DE},
    },
    "shares.name_trailing_dot_or_space": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Names ending in a dot or a space in share {share}", "summary": _PATHS_EN,
               "remediation": _RENAME_EN},
        "de": {"title": "Namen, die auf einen Punkt oder ein Leerzeichen enden, in der Freigabe {share}",
               "summary": _PATHS_DE, "remediation": _RENAME_DE},
    },
    "shares.name_reserved": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Reserved DOS device names in share {share}", "summary": _PATHS_EN,
               "remediation": _RENAME_EN},
        "de": {"title": "Reservierte DOS-Gerätenamen in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": _RENAME_DE},
    },
    "shares.name_case_collision": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Names that differ only in case or Unicode form (NFC/NFD) in share {share}",
               "summary": _PATHS_EN,
               "remediation": "Rename one of each pair; a Windows client sees only one of them."},
        "de": {"title": "Namen, die sich nur in Groß-/Kleinschreibung oder Unicode-Form (NFC/NFD) unterscheiden, "
                        "in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Je Paar einen der beiden umbenennen; ein Windows-Client sieht nur einen davon."},
    },
    "shares.path_too_long": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths too long for Windows clients on the target in share {share}", "summary": _PATHS_EN,
               "remediation": "Shorten folder names, or enable long path support on the clients."},
        "de": {"title": "Pfade, die für Windows-Clients auf dem Ziel zu lang sind, in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Ordnernamen kürzen oder auf den Clients die Unterstützung langer Pfade einschalten."},
    },
    "shares.path_beyond_path_max": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths longer than Linux takes (PATH_MAX): not copied in share {share}", "summary": _PATHS_EN,
               "remediation": "Shorten or flatten these folders on the source; the passes copy them once they fit."},
        "de": {"title": "Pfade in der Freigabe {share}, die länger sind, als Linux erlaubt (PATH_MAX): nicht kopiert",
               "summary": _PATHS_DE,
               "remediation": "Diese Ordner an der Quelle kürzen oder flacher anlegen; die Kopierläufe übernehmen "
                              "sie, sobald sie passen."},
    },
    "shares.sparse_file": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Sparse files in share {share}", "summary": _PATHS_EN,
               "remediation": "Kept sparse by the copy; the target needs their full size only where they are "
                              "written."},
        "de": {"title": "Dünn besetzte Dateien (sparse) in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Die Kopie lässt sie dünn besetzt; das Ziel braucht ihre volle Größe erst dort, "
                              "wo sie beschrieben werden."},
    },
    "shares.hard_link": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Hard links in share {share}", "summary": _PATHS_EN,
               "remediation": "Kept as hard links inside the share; links to files outside the share become "
                              "separate copies."},
        "de": {"title": "Harte Links in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Innerhalb der Freigabe bleiben sie harte Links; Links auf Dateien außerhalb der "
                              "Freigabe werden zu eigenen Kopien."},
    },
    "shares.symlink": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Symbolic links inside the share in share {share}", "summary": _PATHS_EN,
               "remediation": "Copied as links; SMB clients see them only where the target allows following "
                              "symlinks."},
        "de": {"title": "Symbolische Links innerhalb der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Sie werden als Links kopiert; SMB-Clients sehen sie nur, wo das Ziel das Folgen "
                              "von Symlinks erlaubt."},
    },
    "shares.symlink_outside": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Symbolic links pointing outside the share in share {share}", "summary": _PATHS_EN,
               "remediation": "Replace the link by the data it points to, or accept that it dangles on the target."},
        "de": {"title": "Symbolische Links, die aus der Freigabe {share} hinauszeigen", "summary": _PATHS_DE,
               "remediation": "Den Link durch die Daten ersetzen, auf die er zeigt, oder hinnehmen, dass er auf "
                              "dem Ziel ins Leere zeigt."},
    },
    "shares.special_file": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Devices, fifos or sockets in share {share}", "summary": _PATHS_EN,
               "remediation": "They are not copied; remove them."},
        "de": {"title": "Gerätedateien, FIFOs oder Sockets in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Sie werden nicht kopiert; bitte entfernen."},
    },
    "shares.ntacl_unreadable": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Windows ACLs that cannot be read in share {share}",
               "summary": {"preflight": _PATHS_EN,
                           "pass": "{count} path(s) kept their ACL blob untranslated: {paths}."},
               "remediation": {"preflight": "Reset the ACL of these paths (smbcacls --set) before the move; they "
                                            "are copied as they are.",
                               "pass": "Reset these ACLs on the source (smbcacls --set), then run a pass."}},
        "de": {"title": "Nicht lesbare Windows-ACLs in der Freigabe {share}",
               "summary": {"preflight": _PATHS_DE,
                           "pass": "{count} Pfad(e) behielten ihre ACL unübersetzt: {paths}."},
               "remediation": {"preflight": "Die ACL dieser Pfade vor dem Umzug zurücksetzen (smbcacls --set); "
                                            "sie werden so kopiert, wie sie sind.",
                               "pass": "Diese ACLs an der Quelle zurücksetzen (smbcacls --set), dann einen "
                                       "Kopierlauf starten."}},
    },
    "shares.xattr_not_carried": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Extended attributes that are not carried in share {share}", "summary": _PATHS_EN,
               "remediation": "A sync carries user.*, trusted.*, the Windows ACL and the POSIX ACLs. File "
                              "capabilities (security.capability) are left behind on purpose: a file share "
                              "grants no program privileges; set one on the target by hand if it is really "
                              "needed. SELinux labels and other security.* come from the target's own policy."},
        "de": {"title": "Erweiterte Attribute, die nicht übernommen werden, in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Ein Kopierlauf übernimmt user.*, trusted.*, die Windows-ACL und die POSIX-ACLs. "
                              "Datei-Capabilities (security.capability) bleiben absichtlich zurück: eine "
                              "Dateifreigabe verleiht Programmen keine Rechte; wo wirklich nötig, auf dem Ziel von "
                              "Hand setzen. SELinux-Labels und andere security.* kommen aus der Richtlinie des "
                              "Ziels."},
    },
    "shares.sid_unmapped": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "SIDs without a new identity in share {share}",
               "summary": {"preflight": "{count} SID(s) in owners or Windows ACLs have no entry in the identity "
                                        "mapping and no rule that maps them: {described}. They are copied "
                                        "unchanged and grant nothing on the target.",
                           "pass": "{count} SID(s) in Windows ACLs of {paths} path(s) were kept unchanged: "
                                   "{sids}. They grant nothing on the target."},
               "remediation": {"preflight": "Add manual entries to the mapping file (source: manual), then "
                                            "discover again.",
                               "pass": "Add manual entries to the identity mapping, then run the next pass."}},
        "de": {"title": "SIDs ohne neue Identität in der Freigabe {share}",
               "summary": {"preflight": "{count} SID(s) in Besitzern oder Windows-ACLs haben weder einen Eintrag "
                                        "in der Identitätszuordnung noch eine Regel, die sie abbildet: "
                                        "{described}. Sie werden unverändert kopiert und berechtigen auf dem Ziel "
                                        "niemanden.",
                           "pass": "{count} SID(s) in Windows-ACLs von {paths} Pfad(en) blieben unverändert: "
                                   "{sids}. Sie berechtigen auf dem Ziel niemanden."},
               "remediation": {"preflight": "Manuelle Einträge in der Zuordnungsdatei ergänzen (source: manual), "
                                            "dann die Bestandsaufnahme wiederholen.",
                               "pass": "Manuelle Einträge in der Identitätszuordnung ergänzen, dann den nächsten "
                                       "Kopierlauf starten."}},
    },
    "shares.id_unmapped": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Owners or POSIX ACL entries without a new id in share {share}",
               "summary": "{ids} could not be translated and were kept as numbers.",
               "remediation": "Map the owners' SIDs in the identity mapping."},
        "de": {"title": "Besitzer oder POSIX-ACL-Einträge ohne neue ID in der Freigabe {share}",
               "summary": "{ids} ließen sich nicht übersetzen und blieben als Zahlen erhalten.",
               "remediation": "Die SIDs der Besitzer in der Identitätszuordnung abbilden."},
    },
    "shares.file_open": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Files open or locked in share {share}",
               "summary": "{count} file(s) open over SMB right now: {files}. A pass copies what is on disk; "
                          "changes still held by a client arrive with a later pass.",
               "remediation": "Before the final pass, freeze the share (it closes the connections)."},
        "de": {"title": "Geöffnete oder gesperrte Dateien in der Freigabe {share}",
               "summary": "{count} Datei(en) sind gerade über SMB geöffnet: {files}. Ein Kopierlauf kopiert, was "
                          "auf der Platte steht; Änderungen, die ein Client noch hält, kommen mit einem späteren "
                          "Kopierlauf.",
               "remediation": "Vor dem letzten Kopierlauf die Freigabe einfrieren (das trennt die Verbindungen)."},
    },
    "shares.target_space_short": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Not enough free space on the RZ file server",
               "summary": "The shares need {needed} bytes (+{margin} % margin: {wanted}); {target} has {free} "
                          "bytes free.",
               "remediation": "Grow the file system of {target} before the seed pass."},
        "de": {"title": "Zu wenig freier Platz auf dem RZ-Dateiserver",
               "summary": "Die Freigaben brauchen {needed} Bytes (+{margin} % Reserve: {wanted}); {target} hat "
                          "{free} Bytes frei.",
               "remediation": "Das Dateisystem von {target} vor dem Erstkopierlauf vergrößern."},
    },
    "shares.deletion_held": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths the source no longer has, not deleted on the RZ, share {share}",
               "summary": "{count} path(s) on the RZ file server are gone from the source; the pass left them "
                          "there (deletion is off): {paths}.",
               "remediation": "Check these paths; to delete them on the RZ file server, run the next pass with "
                              "shares_safe_mode: false (and shares_delete: true, the default)."},
        "de": {"title": "Pfade, die die Quelle nicht mehr hat, auf dem RZ nicht gelöscht, Freigabe {share}",
               "summary": "{count} Pfad(e) auf dem RZ-Dateiserver gibt es an der Quelle nicht mehr; der "
                          "Kopierlauf hat sie stehen lassen (Löschen ist aus): {paths}.",
               "remediation": "Diese Pfade prüfen; um sie auf dem RZ-Dateiserver zu löschen, den nächsten "
                              "Kopierlauf mit shares_safe_mode: false starten (und shares_delete: true, die "
                              "Voreinstellung)."},
    },
    "shares.pass_stopped": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Pass stopped before it was done, share {share}",
               "summary": {"schedule": "The {sync_pass} pass stopped at {at}: the transfer schedule allows no "
                                       "transfer then (limit 0). The RZ holds {files} of {files_total} files "
                                       "({size} of {size_total}); transfer is next allowed at {next}.",
                           "until": "The {sync_pass} pass stopped at {at}, the end time it was given (until). "
                                    "The RZ holds {files} of {files_total} files ({size} of {size_total}); "
                                    "transfer is next allowed at {next}."},
               "remediation": "Run the pass again when transfer is allowed (e.g. wave_phase=seed from a nightly "
                              "schedule); it copies only the rest."},
        "de": {"title": "Kopierlauf vor dem Ende angehalten, Freigabe {share}",
               "summary": {"schedule": "Der Kopierlauf ({sync_pass}) hat um {at} angehalten: der Übertragungsplan "
                                       "erlaubt dann keine Übertragung (Limit 0). Das RZ hat {files} von "
                                       "{files_total} Dateien ({size} von {size_total}); Übertragung ist wieder "
                                       "erlaubt ab {next}.",
                           "until": "Der Kopierlauf ({sync_pass}) hat um {at} angehalten, zur ihm gegebenen "
                                    "Endzeit (until). Das RZ hat {files} von {files_total} Dateien ({size} von "
                                    "{size_total}); Übertragung ist wieder erlaubt ab {next}."},
               "remediation": "Den Kopierlauf wieder starten, wenn Übertragung erlaubt ist (z. B. wave_phase=seed "
                              "nächtlich geplant); er kopiert nur den Rest."},
    },
    "shares.compress_fallback": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Pass compressed without zstd, share {share}",
               "summary": {"source": "The Kommune's file server {source} has no zstd: the pass compressed its stream "
                                     "with {codec} instead, which takes about three times the CPU there and leaves "
                                     "a few percent more bytes on the wire.",
                           "rz": "The RZ file server has no zstd: the pass compressed its stream with {codec} "
                                 "instead, which takes about three times the CPU on the Kommune's file server and "
                                 "leaves a few percent more bytes on the wire."},
               "remediation": {"source": "Nothing to do for this pass. On a link faster than about 500 Mbit/s, or "
                                         "when the Kommune's file server is short of CPU, set transfer.compress: "
                                         "false for this Kommune in the plan.",
                               "rz": "Install zstd on the RZ file server (the shares role's hosts), then the next "
                                     "pass uses it where the Kommune's file server has it."}},
        "de": {"title": "Kopierlauf ohne zstd komprimiert, Freigabe {share}",
               "summary": {"source": "Der Dateiserver {source} der Kommune hat kein zstd: der Kopierlauf hat seinen "
                                     "Datenstrom stattdessen mit {codec} komprimiert; das kostet dort etwa die "
                                     "dreifache Rechenzeit und lässt ein paar Prozent mehr Bytes auf der Leitung.",
                           "rz": "Der RZ-Dateiserver hat kein zstd: der Kopierlauf hat seinen Datenstrom "
                                 "stattdessen mit {codec} komprimiert; das kostet auf dem Dateiserver der Kommune "
                                 "etwa die dreifache Rechenzeit und lässt ein paar Prozent mehr Bytes auf der "
                                 "Leitung."},
               "remediation": {"source": "Für diesen Kopierlauf nichts zu tun. Auf einer Leitung schneller als etwa "
                                         "500 Mbit/s, oder wenn der Dateiserver der Kommune knapp an Rechenzeit ist, "
                                         "im Plan für diese Kommune transfer.compress: false setzen.",
                               "rz": "zstd auf dem RZ-Dateiserver installieren (den Hosts der Rolle shares); dann "
                                     "nutzt der nächste Kopierlauf es, wo der Dateiserver der Kommune es hat."}},
    },
    "shares.compress_unavailable_smb": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "No compression over SMB, share {share}",
               "summary": "The plan asks to compress the stream on the wire (transfer.compress), but share {share} "
                          "of {source} is read over SMB, and that path does not compress: smbprotocol does not "
                          "negotiate SMB 3.1.1 compression. The pass moved its content uncompressed.",
               "remediation": "Plan the seed and the final pass with the uncompressed size of the shares (the "
                              "estimate does), or set transfer.compress: false for this Kommune to say so."},
        "de": {"title": "Keine Kompression über SMB, Freigabe {share}",
               "summary": "Der Plan verlangt, den Datenstrom auf der Leitung zu komprimieren (transfer.compress), "
                          "aber die Freigabe {share} von {source} wird über SMB gelesen, und dieser Weg komprimiert "
                          "nicht: smbprotocol handelt die Kompression von SMB 3.1.1 nicht aus. Der Kopierlauf hat "
                          "ihren Inhalt unkomprimiert übertragen.",
               "remediation": "Den ersten und den letzten Kopierlauf mit der unkomprimierten Größe der Freigaben "
                              "planen (die Schätzung tut das), oder im Plan für diese Kommune transfer.compress: "
                              "false setzen, um es so festzuhalten."},
    },
    "shares.path_changed_during_copy": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths that changed while the pass copied them, share {share}",
               "summary": "{count} path(s) were no longer what the listing had found when their content was "
                          "read and were skipped (a symlink is never followed); the next pass copies them. "
                          "{described:; }",
               "remediation": "Run the next pass; a path that keeps changing its type (a folder swapped for a "
                              "symlink) is worth a look on the source."},
        "de": {"title": "Pfade, die sich während des Kopierlaufs geändert haben, in der Freigabe {share}",
               "summary": "{count} Pfad(e) waren beim Lesen ihres Inhalts nicht mehr das, was die Auflistung "
                          "gefunden hatte, und wurden übersprungen (einem Symlink wird nie gefolgt); der nächste "
                          "Kopierlauf kopiert sie. {described:; }",
               "remediation": "Den nächsten Kopierlauf starten; ein Pfad, der immer wieder seine Art wechselt "
                              "(ein Ordner, gegen einen Symlink getauscht), ist einen Blick an der Quelle wert."},
    },
    "shares.setting_principal_unmapped": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Share {share}: {setting} names {name}, which has no new name",
               "summary": "'{setting}' of share {share} names {name}: {reason}. The name stays in the RZ share's "
                          "setting as it was (dropped, it could widen or narrow access), where it matches nobody.",
               "remediation": "Add {name} to the identity mapping (source: manual) and provision again, or "
                              "change the setting at the source."},
        "de": {"title": "Freigabe {share}: {setting} nennt {name}, das keinen neuen Namen hat",
               "summary": "'{setting}' der Freigabe {share} nennt {name}: {reason}. Der Name bleibt in der "
                          "Einstellung der RZ-Freigabe, wie er war (weggelassen könnte er den Zugriff erweitern "
                          "oder einschränken), und trifft dort niemanden.",
               "remediation": "{name} in der Identitätszuordnung ergänzen (source: manual) und erneut "
                              "bereitstellen, oder die Einstellung an der Quelle ändern."},
    },
    "shares.setting_not_carried": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Settings of share {share} not carried to the RZ",
               "summary": "These settings belong to the old server and are not written on the RZ file server: "
                          "{settings}",
               "remediation": "Set the equivalent on the RZ share by hand if it is still needed."},
        "de": {"title": "Einstellungen der Freigabe {share} nicht ins RZ übernommen",
               "summary": "Diese Einstellungen gehören zum alten Server und werden auf dem RZ-Dateiserver nicht "
                          "gesetzt: {settings}",
               "remediation": "Falls noch nötig, die Entsprechung an der RZ-Freigabe von Hand setzen."},
    },
    "shares.target_share_defined_elsewhere": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Share {share} is already defined on the RZ file server",
               "summary": "[{share}] exists in the RZ server's configuration outside umzug's include file; the "
                          "include comes last, so its settings win, and the other definition's remaining "
                          "settings still apply.",
               "remediation": "Remove the other definition of [{share}]."},
        "de": {"title": "Freigabe {share} ist auf dem RZ-Dateiserver schon definiert",
               "summary": "[{share}] steht in der Konfiguration des RZ-Servers außerhalb der Include-Datei von "
                          "umzug; das Include kommt zuletzt, seine Einstellungen gewinnen also, und die übrigen "
                          "Einstellungen der anderen Definition gelten weiter.",
               "remediation": "Die andere Definition von [{share}] entfernen."},
    },
    "shares.verify_missing": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Paths missing on the RZ file server (share {share})", "summary": _VERIFY_EN,
               "remediation": "Run a pass (shares_action=sync): it copies what the RZ side lacks; then verify "
                              "again."},
        "de": {"title": "Pfade, die auf dem RZ-Dateiserver fehlen (Freigabe {share})", "summary": _VERIFY_DE,
               "remediation": "Einen Kopierlauf starten (shares_action=sync): er kopiert, was auf der RZ-Seite "
                              "fehlt; dann erneut prüfen."},
    },
    "shares.verify_extra": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Paths on the RZ file server the source does not have (share {share})",
               "summary": _VERIFY_EN,
               "remediation": "Check these paths, then run a pass with deletion on (shares_safe_mode: false; "
                              "shares_delete: true, the default): it removes what the source no longer has; "
                              "then verify again."},
        "de": {"title": "Pfade auf dem RZ-Dateiserver, die die Quelle nicht hat (Freigabe {share})",
               "summary": _VERIFY_DE,
               "remediation": "Diese Pfade prüfen, dann einen Kopierlauf mit Löschen starten (shares_safe_mode: "
                              "false; shares_delete: true, die Voreinstellung): er entfernt, was die Quelle "
                              "nicht mehr hat; dann erneut prüfen."},
    },
    "shares.verify_mismatch": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Paths that differ between source and RZ file server (share {share})",
               "summary": _VERIFY_EN,
               "remediation": {
                   "flagged": "Run a pass (shares_action=sync): these paths are recorded in {flagged} and the pass "
                              "copies them again (shares_compare_content: flagged, the default); then verify "
                              "again. If a path still differs, compare it by hand (docs/shares.md).",
                   "dry": "Verify without check mode: it records these paths beside the pass state, and the next "
                          "pass copies them again (shares_compare_content: flagged, the default); then verify "
                          "again.",
                   "unrecorded": "Verify again with state_path (the role passes it), so these paths are recorded "
                                 "for the next pass, then run a pass and verify again; a pass with "
                                 "compare_content=all finds content changes by itself."}},
        "de": {"title": "Pfade, die sich zwischen Quelle und RZ-Dateiserver unterscheiden (Freigabe {share})",
               "summary": _VERIFY_DE,
               "remediation": {
                   "flagged": "Einen Kopierlauf starten (shares_action=sync): diese Pfade sind in {flagged} "
                              "vermerkt, und der Kopierlauf kopiert sie erneut (shares_compare_content: flagged, "
                              "die Voreinstellung); dann erneut prüfen. Unterscheidet sich ein Pfad danach noch, "
                              "von Hand vergleichen (docs/shares.md).",
                   "dry": "Ohne Probelauf (check mode) prüfen: das vermerkt diese Pfade neben dem Stand der "
                          "Kopierläufe, und der nächste Kopierlauf kopiert sie erneut (shares_compare_content: "
                          "flagged, die Voreinstellung); dann erneut prüfen.",
                   "unrecorded": "Erneut mit state_path prüfen (die Rolle übergibt ihn), damit diese Pfade für den "
                                 "nächsten Kopierlauf vermerkt werden, dann einen Kopierlauf starten und erneut "
                                 "prüfen; ein Kopierlauf mit compare_content=all findet Inhaltsänderungen "
                                 "selbst."}},
    },
    "shares.verify_not_read": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths verification could not read over SMB (share {share})", "summary": _VERIFY_EN,
               "remediation": "These are what the passes report too (offline files, files held open with a sharing "
                              "mode that denies reading, reparse points, access denied): they are listed, never "
                              "read, and not compared. Settle each as its pass finding says, then verify again."},
        "de": {"title": "Pfade, die die Prüfung über SMB nicht lesen konnte (Freigabe {share})",
               "summary": _VERIFY_DE,
               "remediation": "Es sind dieselben, die die Kopierläufe melden (ausgelagerte Dateien, Dateien, die "
                              "mit einem Freigabemodus ohne Lesen geöffnet sind, Analysepunkte, Zugriff verweigert): "
                              "sie werden aufgeführt, nie gelesen und nicht verglichen. Jeden so klären, wie es der "
                              "Befund des Kopierlaufs sagt, dann erneut prüfen."},
    },
    "shares.mapping_missing": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "playbook",
        "en": {"title": "No identity mapping for {kommune} yet",
               "summary": "{mapping_file} does not exist and no accounts step of this run computed the mapping "
                          "(shares_mapping_planned), so every owner and ACL entry of the Kommune's domain counts "
                          "as unmapped in this pre-flight.",
               "remediation": "playbooks/accounts.yml"},
        "de": {"title": "Noch keine Identitätszuordnung für {kommune}",
               "summary": "{mapping_file} existiert nicht, und kein Konten-Schritt dieses Laufs hat die Zuordnung "
                          "berechnet (shares_mapping_planned); in dieser Vorprüfung gilt daher jeder Besitzer und "
                          "jeder ACL-Eintrag aus der Domäne der Kommune als nicht zugeordnet.",
               "remediation": "playbooks/accounts.yml"},
    },
    # Found by the SMB source (a Windows file server, read over SMB 3; docs/shares.md).
    "shares.reparse_point": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Reparse points (junctions, symbolic links, mount points) in share {share}",
               "summary": _PATHS_EN,
               "remediation": "They are listed and never followed or copied. Copy what they point to as a folder "
                              "of its own where users need it, or recreate the link on the target by hand."},
        "de": {"title": "Analysepunkte (Junctions, symbolische Links, Bereitstellungspunkte) in der Freigabe "
                        "{share}",
               "summary": _PATHS_DE,
               "remediation": "Sie werden aufgeführt, aber nie verfolgt oder kopiert. Wo Benutzer das Ziel "
                              "brauchen, es als eigenen Ordner kopieren oder den Link auf dem Ziel von Hand neu "
                              "anlegen."},
    },
    "shares.offline_file": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Offline files (HSM, archive or cloud tier) in share {share}", "summary": _PATHS_EN,
               "remediation": "Their content is not on the file server, and umzug never reads it (that would "
                              "recall the whole archive). Recall the files that must move on the source, or "
                              "move the archive with its own tool."},
        "de": {"title": "Ausgelagerte Dateien (HSM, Archiv oder Cloud-Speicher) in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Ihr Inhalt liegt nicht auf dem Dateiserver, und umzug liest ihn nie (das würde "
                              "das ganze Archiv zurückholen). Die Dateien, die umziehen sollen, an der Quelle "
                              "zurückholen oder das Archiv mit seinem eigenen Werkzeug umziehen."},
    },
    "shares.file_locked": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Files held open with a sharing mode that denies reading in share {share}",
               "summary": _PATHS_EN,
               "remediation": "A program keeps these files open and lets nobody read them (a database, a mail "
                              "store). Close the program before the final pass, or freeze the share."},
        "de": {"title": "Dateien, die mit einem Freigabemodus geöffnet sind, der das Lesen verbietet, in der "
                        "Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Ein Programm hält diese Dateien offen und lässt niemanden lesen (eine Datenbank, "
                              "ein Postfachspeicher). Das Programm vor dem letzten Kopierlauf beenden oder die "
                              "Freigabe einfrieren."},
    },
    "shares.access_denied": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Paths the backup account may not read in share {share}", "summary": _PATHS_EN,
               "remediation": "The account umzug reads with lacks SeBackupPrivilege on the server, or the "
                              "server refuses backup intent for these paths. Grant the privilege (Backup "
                              "Operators) and discover again."},
        "de": {"title": "Pfade, die das Sicherungskonto nicht lesen darf, in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Dem Konto, mit dem umzug liest, fehlt auf dem Server SeBackupPrivilege, oder der "
                              "Server verweigert für diese Pfade das Öffnen zur Sicherung. Das Recht gewähren "
                              "(Sicherungs-Operatoren) und die Bestandsaufnahme wiederholen."},
    },
    "shares.alternate_stream": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Alternate data streams in share {share}", "summary": _PATHS_EN,
               "remediation": "They are carried into the RZ share's vfs_streams_xattr (user.DosStream.*)."},
        "de": {"title": "Alternative Datenströme in der Freigabe {share}", "summary": _PATHS_DE,
               "remediation": "Sie werden in vfs_streams_xattr der RZ-Freigabe übernommen (user.DosStream.*)."},
    },
    "shares.stream_too_large": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Alternate data streams too large for the target in share {share}", "summary": _PATHS_EN,
               "remediation": "vfs_streams_xattr keeps a stream in one extended attribute, and the RZ file "
                              "system holds only so much there. Save the stream's content as a file of its own, "
                              "or accept that it does not arrive."},
        "de": {"title": "Alternative Datenströme, zu groß für das Ziel, in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "vfs_streams_xattr legt einen Datenstrom in einem erweiterten Attribut ab, und das "
                              "Dateisystem im RZ fasst dort nur begrenzt viel. Den Inhalt des Datenstroms als "
                              "eigene Datei sichern oder hinnehmen, dass er nicht ankommt."},
    },
    "shares.attribute_not_carried": {
        "payload": "shares", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "DOS attributes the RZ file server does not keep in share {share}", "summary": _PATHS_EN,
               "remediation": "Samba keeps read-only, hidden, system and archive (user.DOSATTRIB); attributes "
                              "such as temporary, not content indexed, compressed or encrypted describe how "
                              "Windows stores or indexes a file and are not carried. Nothing to do unless a "
                              "program depends on them."},
        "de": {"title": "DOS-Attribute, die der Dateiserver im RZ nicht führt, in der Freigabe {share}",
               "summary": _PATHS_DE,
               "remediation": "Samba führt schreibgeschützt, versteckt, System und Archiv (user.DOSATTRIB); "
                              "Attribute wie temporär, nicht indiziert, komprimiert oder verschlüsselt beschreiben, "
                              "wie Windows eine Datei ablegt oder indiziert, und werden nicht übernommen. Nichts zu "
                              "tun, solange kein Programm auf sie angewiesen ist."},
    },
    "shares.metadata_not_written": {
        "payload": "shares", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Attributes, streams or Windows ACLs not written on the target in share {share}",
               "summary": _PATHS_EN,
               "remediation": "The content arrived, but its security descriptor, DOS attributes or an "
                              "alternate data stream could not be written on the RZ file server (the reason is "
                              "given per path). Fix the cause on the RZ file server, then run the next pass."},
        "de": {"title": "Attribute, Datenströme oder Windows-ACLs auf dem Ziel nicht geschrieben in der Freigabe "
                        "{share}",
               "summary": _PATHS_DE,
               "remediation": "Der Inhalt ist angekommen, aber seine Sicherheitsbeschreibung, DOS-Attribute oder "
                              "ein alternativer Datenstrom ließen sich auf dem Dateiserver im RZ nicht schreiben "
                              "(der Grund steht je Pfad). Die Ursache auf dem Dateiserver im RZ beheben, dann den "
                              "nächsten Kopierlauf starten."},
    },
    "shares.sacl_unreadable": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Audit entries (SACLs) not readable in share {share}",
               "summary": "The account umzug reads with may not read SACLs: {first}{more}",
               "remediation": "Grant the account SeSecurityPrivilege (Manage auditing and security log) if the "
                              "audit settings must move; owner, group and permissions are read either way."},
        "de": {"title": "Überwachungseinträge (SACLs) nicht lesbar in der Freigabe {share}",
               "summary": "Das Konto, mit dem umzug liest, darf keine SACLs lesen: {first}{more}",
               "remediation": "Dem Konto SeSecurityPrivilege (Verwalten von Überwachungs- und Sicherheitsprotokollen) "
                              "gewähren, falls die Überwachungseinstellungen umziehen müssen; Besitzer, Gruppe und "
                              "Berechtigungen werden in jedem Fall gelesen."},
    },
    "shares.smb_settings_partial": {
        "payload": "shares", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Settings of share {share} read only in part",
               "summary": "The server did not give: {missing}.",
               "remediation": "Read them with an account in the server's Administrators group, or set them on "
                              "the RZ share by hand."},
        "de": {"title": "Einstellungen der Freigabe {share} nur teilweise gelesen",
               "summary": "Der Server hat nicht geliefert: {missing}.",
               "remediation": "Mit einem Konto der Gruppe Administratoren des Servers lesen oder an der "
                              "RZ-Freigabe von Hand setzen."},
    },
    "shares.smb_freeze_open_kept": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Share {share} frozen, but open connections were not closed",
               "summary": "The share ACL of \\\\{server}\\{share} is read-only, but the server refused to close: "
                          "{kept}. A client connected before the freeze keeps writing until it reconnects.",
               "remediation": "Close the share's open files and sessions in the server's Computer Management "
                              "(Shared Folders) before the final pass, or freeze with an account in the server's "
                              "Administrators group."},
        "de": {"title": "Freigabe {share} eingefroren, offene Verbindungen aber nicht geschlossen",
               "summary": "Die Freigabeberechtigung von \\\\{server}\\{share} erlaubt nur noch Lesen, der Server hat "
                          "aber abgelehnt zu schließen: {kept}. Ein vor dem Einfrieren verbundener Client schreibt "
                          "weiter, bis er sich neu verbindet.",
               "remediation": "Offene Dateien und Sitzungen der Freigabe vor dem letzten Durchlauf in der "
                              "Computerverwaltung des Servers (Freigegebene Ordner) schließen oder mit einem Konto "
                              "der Gruppe Administratoren des Servers einfrieren."},
    },
    "shares.share_acl_sid_unmapped": {
        "payload": "shares", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Share {share}: entries of its share ACL name accounts without a new identity",
               "summary": "The share ACL of \\\\{server}\\{share} names {count} SID(s) the identity mapping "
                          "has no new identity for: {sids}. Their entries are left out of the share ACL of the RZ "
                          "share {target}; a left-out deny entry widens who may connect.",
               "remediation": "Add the accounts to the identity mapping (source: manual) and provision again, or "
                              "remove the entries from the share's permissions at the source."},
        "de": {"title": "Freigabe {share}: Einträge ihrer Freigabeberechtigung nennen Konten ohne neue Identität",
               "summary": "Die Freigabeberechtigung von \\\\{server}\\{share} nennt {count} SID(s), für die die "
                          "Identitätszuordnung keine neue Identität hat: {sids}. Ihre Einträge fehlen in der "
                          "Freigabeberechtigung der RZ-Freigabe {target}; ein fehlender Verweigern-Eintrag "
                          "erweitert, wer sich verbinden darf.",
               "remediation": "Die Konten in der Identitätszuordnung ergänzen (source: manual) und erneut "
                              "bereitstellen, oder die Einträge an der Quelle aus den Freigabeberechtigungen "
                              "entfernen."}},
    "shares.share_acl_not_carried": {
        "payload": "shares", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Share ACL of share {share} not carried to the RZ",
               "summary": {
                   "no_admin": "No administrator account of \\\\{server} is given, and only its administrators "
                               "may read the share ACL of {share}. The RZ share {target} keeps the share ACL it has "
                               "(Samba's default: Everyone full); the file permissions still apply.",
                   "unread": "The share ACL of \\\\{server}\\{share} could not be read ({error}). The RZ "
                             "share {target} keeps the share ACL it has; the file permissions still apply.",
                   "unsupported": "The share ACL of \\\\{server}\\{share} holds {error}. The RZ share {target} "
                                  "keeps the share ACL it has; the file permissions still apply.",
                   "unwritten": "The share ACL of the RZ share {target} could not be read or set with sharesec "
                                "({error}); it keeps the share ACL it has."},
               "remediation": "Give the file server's administrator as source.smb.admin in the plan and provision "
                              "again, or set the RZ share's permissions by hand (sharesec {target} --setsddl)."},
        "de": {"title": "Freigabeberechtigung der Freigabe {share} nicht ins RZ übernommen",
               "summary": {
                   "no_admin": "Es ist kein Administratorkonto von \\\\{server} angegeben, und nur dessen "
                               "Administratoren dürfen die Freigabeberechtigung von {share} lesen. Die RZ-Freigabe "
                               "{target} behält ihre Freigabeberechtigung (Sambas Vorgabe: Jeder Vollzugriff); die "
                               "Dateiberechtigungen gelten weiter.",
                   "unread": "Die Freigabeberechtigung von \\\\{server}\\{share} ließ sich nicht lesen "
                             "({error}). Die RZ-Freigabe {target} behält ihre Freigabeberechtigung; die "
                             "Dateiberechtigungen gelten weiter.",
                   "unsupported": "Die Freigabeberechtigung von \\\\{server}\\{share} enthält {error}. Die "
                                  "RZ-Freigabe {target} behält ihre Freigabeberechtigung; die Dateiberechtigungen "
                                  "gelten weiter.",
                   "unwritten": "Die Freigabeberechtigung der RZ-Freigabe {target} ließ sich mit sharesec nicht "
                                "lesen oder setzen ({error}); sie behält ihre bisherige."},
               "remediation": "Den Administrator des Dateiservers im Plan als source.smb.admin angeben und erneut "
                              "bereitstellen, oder die Berechtigungen der RZ-Freigabe von Hand setzen (sharesec "
                              "{target} --setsddl)."}},
    # --------------------------------------------------------------------------- accounts
    "accounts.service_account": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Service accounts are migrated",
               "summary": "{count} service account(s) move with the people; whatever uses them (scanners, "
                          "Fachverfahren, backups) must get the new name and password.",
               "remediation": "List each service account's consumers and plan their reconfiguration for the "
                              "cut-over."},
        "de": {"title": "Dienstkonten werden mit umgezogen",
               "summary": "{count} Dienstkonto/-konten ziehen mit den Personen um; was sie nutzt (Scanner, "
                          "Fachverfahren, Sicherungen), braucht den neuen Namen und das neue Passwort.",
               "remediation": "Für jedes Dienstkonto auflisten, was es nutzt, und dessen Umkonfiguration für die "
                              "Umstellung einplanen."},
    },
    "accounts.computers_not_migrated": {
        "payload": "accounts", "severity": "info", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Computers are not migrated",
               "summary": "{count} computer account(s) stay in the old domain; the PCs join the RZ domain "
                          "separately.",
               "remediation": "Rejoin the PCs to the RZ domain as part of the client payload."},
        "de": {"title": "Computerkonten werden nicht umgezogen",
               "summary": "{count} Computerkonto/-konten bleiben in der alten Domäne; die PCs treten der "
                          "RZ-Domäne gesondert bei.",
               "remediation": "Die PCs im Rahmen der Client-Umstellung neu in die RZ-Domäne aufnehmen."},
    },
    "accounts.foreign_members": {
        "payload": "accounts", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Group members outside the Kommune's directory",
               "summary": "{count} group member(s) are not users or groups of the export (foreign security "
                          "principals, well-known groups); they are not carried over.",
               "remediation": "Add the equivalent RZ principals to the groups by hand if needed."},
        "de": {"title": "Gruppenmitglieder außerhalb des Verzeichnisses der Kommune",
               "summary": "{count} Gruppenmitglied(er) sind keine Benutzer oder Gruppen des Exports (Foreign "
                          "Security Principals, vordefinierte Gruppen); sie werden nicht übernommen.",
               "remediation": "Falls nötig, die entsprechenden RZ-Konten oder -Gruppen von Hand in die Gruppen "
                              "aufnehmen."},
    },
    "accounts.kerberos_rc4_only": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Carried passwords give Kerberos RC4 keys only",
               "summary": "{count} account(s) got their old NT hash. They log on over NTLM and LDAPS at once, but "
                          "Kerberos only with RC4 keys until the next password change (AES keys are salted with "
                          "realm and name and cannot be carried).",
               "remediation": "Have the people change their password after the cut-over; keep RC4 allowed for "
                              "them until then."},
        "de": {"title": "Übernommene Passwörter ergeben nur Kerberos-RC4-Schlüssel",
               "summary": "{count} Konto/Konten haben ihren alten NT-Hash erhalten. Die Anmeldung über NTLM und "
                          "LDAPS geht sofort, Kerberos bis zum nächsten Passwortwechsel aber nur mit "
                          "RC4-Schlüsseln (AES-Schlüssel sind mit Realm und Namen gesalzen und lassen sich nicht "
                          "übernehmen).",
               "remediation": "Die Personen nach der Umstellung ihr Passwort ändern lassen; RC4 bis dahin für sie "
                              "erlaubt lassen."},
    },
    "accounts.no_password": {
        "payload": "accounts", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Accounts created without a password stay disabled",
               "summary": "{count} account(s) had neither a carried hash nor an initial password.",
               "remediation": "Read their hashes on the source DC, or choose the random initial password policy "
                              "for them."},
        "de": {"title": "Ohne Passwort angelegte Konten bleiben deaktiviert",
               "summary": "{count} Konto/Konten hatten weder einen übernommenen Hash noch ein Erstpasswort.",
               "remediation": "Ihre Hashes auf dem Quell-DC auslesen oder für sie die Richtlinie mit zufälligem "
                              "Erstpasswort wählen."},
    },
    "accounts.hash_missing": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Passwords to carry without an NT hash at the source",
               "summary": "{count} account(s) whose password is to be carried have no NT hash at the source "
                          "(read by {method}): no password is set there, or the account was not found.",
               "remediation": "Set a password at the source and apply again, or give these accounts the random "
                              "initial password policy (accounts_password_policy_overrides)."},
        "de": {"title": "Zu übernehmende Passwörter ohne NT-Hash an der Quelle",
               "summary": "{count} Konto/Konten, deren Passwort übernommen werden soll, haben an der Quelle keinen "
                          "NT-Hash (gelesen über {method}): dort ist kein Passwort gesetzt, oder das Konto wurde "
                          "nicht gefunden.",
               "remediation": "An der Quelle ein Passwort setzen und erneut anwenden, oder diesen Konten die "
                              "Richtlinie mit zufälligem Erstpasswort geben (accounts_password_policy_overrides)."},
    },
    "accounts.replication_rights_held": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "The replication account can read every password hash of the Kommune's domain",
               "summary": "{account} holds DS-Replication-Get-Changes and DS-Replication-Get-Changes-All on the "
                          "domain naming context of {server}; umzug replicated the password hashes with it.",
               "remediation": "After the Welle remove both rights (Windows: dsacls <domain DN> /R <account>; "
                              "Samba 4.18 and later: samba-tool dsacl delete) and disable or delete the account "
                              "(docs/accounts.md)."},
        "de": {"title": "Das Replikationskonto kann jeden Passwort-Hash der Domäne der Kommune lesen",
               "summary": "{account} hat DS-Replication-Get-Changes und DS-Replication-Get-Changes-All auf dem "
                          "Domänen-Namenskontext von {server}; umzug hat damit die Passwort-Hashes repliziert.",
               "remediation": "Nach der Welle beide Rechte entfernen (Windows: dsacls <Domänen-DN> /R <Konto>; "
                              "Samba ab 4.18: samba-tool dsacl delete) und das Konto deaktivieren oder löschen "
                              "(docs/accounts.md)."},
    },
    "accounts.replication_account_excluded": {
        "payload": "accounts", "severity": "info", "inhibitor": False, "remediation": None,
        "en": {"title": "umzug's own accounts at the source are not migrated",
               "summary": "{accounts:, } of the Kommune's directory: the accounts the plan names for umzug "
                          "(source.drsuapi, source.smb, source.smb.admin): not exported, not created in the RZ and "
                          "never disabled at the source, so every delta can still replicate the password hashes "
                          "and read the shares."},
        "de": {"title": "Die eigenen Konten von umzug an der Quelle werden nicht migriert",
               "summary": "{accounts:, } im Verzeichnis der Kommune: die Konten, die der Plan für umzug nennt "
                          "(source.drsuapi, source.smb, source.smb.admin): sie werden nicht exportiert, nicht im RZ "
                          "angelegt und an der Quelle nie gesperrt, damit jeder Abgleich die Passwort-Hashes weiter "
                          "replizieren und die Freigaben lesen kann."},
    },
    "accounts.source_disable_unsupported": {
        "payload": "accounts", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Source accounts cannot be disabled in OpenLDAP",
               "summary": "{count} migrated account(s) stay usable in the old OpenLDAP directory: it has no "
                          "standard disabled flag, so umzug changes nothing there.",
               "remediation": "Lock them the way the Kommune's services read the directory (ppolicy "
                              "pwdAccountLockedTime, a removed loginShell, an access rule) and undo that on "
                              "rollback."},
        "de": {"title": "Quellkonten lassen sich in OpenLDAP nicht deaktivieren",
               "summary": "{count} umgezogene(s) Konto/Konten bleiben im alten OpenLDAP-Verzeichnis nutzbar: es "
                          "kennt kein übliches Deaktiviert-Merkmal, daher ändert umzug dort nichts.",
               "remediation": "Sie so sperren, wie die Dienste der Kommune das Verzeichnis lesen (ppolicy "
                              "pwdAccountLockedTime, eine entfernte loginShell, eine Zugriffsregel), und das beim "
                              "Rollback zurücknehmen."},
    },
    "accounts.source_skipped": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "Source accounts left alone",
               "summary": "{count} account(s) in the undo record have another SID at the source now; umzug did "
                          "not disable that object, so it leaves it."},
        "de": {"title": "Quellkonten unangetastet gelassen",
               "summary": "{count} im Rücknahmeprotokoll verzeichnete(s) Konto/Konten haben an der Quelle "
                          "inzwischen eine andere SID; dieses Objekt hat umzug nicht deaktiviert, also lässt es es in "
                          "Ruhe."},
    },
    "accounts.initial_password_letters": {
        "payload": "accounts", "severity": "info", "inhibitor": False, "remediation": "command",
        "en": {"title": "Initial-password letters to hand out",
               "summary": "{count} account(s) get a random initial password that must be changed at the first "
                          "logon; the letters are in {path} (ansible-vault, id {vault_id}).",
               "remediation": "ansible-vault view --vault-id {vault_id}@<password file> {path}"},
        "de": {"title": "Erstpasswort-Briefe zum Aushändigen",
               "summary": "{count} Konto/Konten erhalten ein zufälliges Erstpasswort, das bei der ersten "
                          "Anmeldung geändert werden muss; die Briefe liegen in {path} (ansible-vault, ID "
                          "{vault_id}).",
               "remediation": "ansible-vault view --vault-id {vault_id}@<Passwortdatei> {path}"},
    },
    "accounts.rollback_skipped": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "Undo record entries left alone",
               "summary": "{count} object(s) at a DN in the undo record have another SID now; umzug did not create "
                          "them, so rollback leaves them."},
        "de": {"title": "Einträge des Rücknahmeprotokolls unangetastet gelassen",
               "summary": "{count} Objekt(e) unter einem im Rücknahmeprotokoll verzeichneten DN haben inzwischen eine "
                          "andere SID; umzug hat sie nicht angelegt, daher lässt der Rollback sie stehen."},
    },
    "accounts.invisible_characters": {
        "payload": "accounts", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Invisible characters removed from a name",
               "summary": "{old_name} has invisible format characters ({described:; }); they are left out of its "
                          "new account name and CN.",
               "remediation": "Remove them in the old directory (they come with text pasted from a word "
                              "processor), or set a manual new_name in the mapping file."},
        "de": {"title": "Unsichtbare Zeichen aus einem Namen entfernt",
               "summary": "{old_name} enthält unsichtbare Formatzeichen ({described:; }); sie fehlen im neuen "
                          "Kontonamen und im CN.",
               "remediation": "Sie im alten Verzeichnis entfernen (sie kommen mit Text, der aus einer "
                              "Textverarbeitung eingefügt wurde) oder einen manuellen new_name in der "
                              "Zuordnungsdatei setzen."},
    },
    "accounts.name_fallback": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Name not derivable from the person's name",
               "summary": "The names of {old_name} give no usable characters; it is named {new_name}.",
               "remediation": _MANUAL_NAME_EN},
        "de": {"title": "Name nicht aus dem Namen der Person ableitbar",
               "summary": "Die Namen von {old_name} ergeben keine verwendbaren Zeichen; das Konto heißt "
                          "{new_name}.",
               "remediation": _MANUAL_NAME_DE},
    },
    "accounts.name_shortened": {
        "payload": "accounts", "severity": "info", "inhibitor": False, "remediation": None,
        "en": {"title": "Name shortened",
               "summary": "{full} is longer than {limit} characters; {old_name} is named {new_name}."},
        "de": {"title": "Name gekürzt",
               "summary": "{full} ist länger als {limit} Zeichen; {old_name} heißt {new_name}."},
    },
    "accounts.reserved_name": {
        "payload": "accounts", "severity": "low", "inhibitor": False, "remediation": None,
        "en": {"title": "Reserved name avoided",
               "summary": "{old_name} would be named {new_name}, which is reserved."},
        "de": {"title": "Reservierter Name vermieden",
               "summary": "{old_name} hieße {new_name}; dieser Name ist reserviert."},
    },
    "accounts.name_collision": {
        "payload": "accounts", "severity": "low", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Name already taken",
               "summary": "{wanted} is taken or reserved; {old_name} is named {new_name}.",
               "remediation": _MANUAL_NAME_EN},
        "de": {"title": "Name schon vergeben",
               "summary": "{wanted} ist vergeben oder reserviert; {old_name} heißt {new_name}.",
               "remediation": _MANUAL_NAME_DE},
    },
    "accounts.source_object_gone": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Old object gone",
               "summary": "{old_name} ({old_sid}) is no longer in the old directory; its entry {new_name} is "
                          "kept, marked gone.",
               "remediation": "Delete the entry once no file or ACL refers to its ids."},
        "de": {"title": "Altes Objekt nicht mehr vorhanden",
               "summary": "{old_name} ({old_sid}) ist nicht mehr im alten Verzeichnis; sein Eintrag {new_name} "
                          "bleibt erhalten und ist als gone markiert.",
               "remediation": "Den Eintrag löschen, sobald keine Datei und keine ACL mehr auf seine IDs "
                              "verweist."},
    },
    "accounts.fixed_name_taken": {
        "payload": "accounts", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Fixed name held by another object",
               "summary": "{new_name} ({source} entry for {old_name}) exists in the central directory as "
                          "{holder}, but the entry's new_sid is {new_sid}.",
               "remediation": "Choose another new_name (source: manual), or record the right new_sid."},
        "de": {"title": "Festgelegter Name gehört einem anderen Objekt",
               "summary": "{new_name} ({source}-Eintrag für {old_name}) gibt es im zentralen Verzeichnis als "
                          "{holder}, der new_sid des Eintrags ist aber {new_sid}.",
               "remediation": "Einen anderen new_name wählen (source: manual) oder den richtigen new_sid "
                              "eintragen."},
    },
    "accounts.uid_range_exhausted": {
        "payload": "accounts", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "uid range exhausted",
               "summary": "The uid range {first}-{last} has no free id left for {count} user(s).",
               "remediation": "Widen the Kommune's uid_range in the plan."},
        "de": {"title": "uid-Bereich erschöpft",
               "summary": "Der uid-Bereich {first}-{last} hat keine freie ID mehr für {count} Benutzer.",
               "remediation": "Den uid_range der Kommune im Plan erweitern."},
    },
    "accounts.gid_range_exhausted": {
        "payload": "accounts", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "gid range exhausted",
               "summary": "The gid range {first}-{last} has no free id left for {count} group(s).",
               "remediation": "Widen the Kommune's gid_range in the plan."},
        "de": {"title": "gid-Bereich erschöpft",
               "summary": "Der gid-Bereich {first}-{last} hat keine freie ID mehr für {count} Gruppe(n).",
               "remediation": "Den gid_range der Kommune im Plan erweitern."},
    },
    "accounts.old_id_ambiguous": {
        "payload": "accounts", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": {"user": "Old old_uid shared by several users",
                         "group": "Old old_gid shared by several groups"},
               "summary": "{id_field} {number} belongs to {owners}; files owned by it cannot be given to one of "
                          "them automatically.",
               "remediation": "Decide who owns those files; set the others' old id to null (source: manual)."},
        "de": {"title": {"user": "old_uid von mehreren Benutzern geteilt",
                         "group": "old_gid von mehreren Gruppen geteilt"},
               "summary": "{id_field} {number} gehört {owners}; Dateien mit diesem Besitzer lassen sich keinem "
                          "von ihnen automatisch zuordnen.",
               "remediation": "Entscheiden, wem diese Dateien gehören; bei den anderen die alte ID auf null "
                              "setzen (source: manual)."},
    },
    # ---------------------------------------------------------------------------- clients
    "clients.unparseable_config": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Client configuration cannot be parsed", "summary": _CONFIG_SUMMARY_EN,
               "remediation": "Fix the file by hand or correct the format/encoding in the client profile; umzug "
                              "does not rewrite a file it cannot parse."},
        "de": {"title": "Client-Konfiguration lässt sich nicht lesen", "summary": _CONFIG_SUMMARY_DE,
               "remediation": "Die Datei von Hand korrigieren oder Format/Kodierung im Client-Profil berichtigen; "
                              "umzug schreibt keine Datei um, die es nicht lesen kann."},
    },
    "clients.selector_no_match": {
        "payload": "clients", "severity": "medium", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Client profile selector matches nothing", "summary": _CONFIG_SUMMARY_EN,
               "remediation": "Check the selector in the client profile against this file, or mark it optional."},
        "de": {"title": "Selektor des Client-Profils trifft nichts", "summary": _CONFIG_SUMMARY_DE,
               "remediation": "Den Selektor im Client-Profil mit dieser Datei abgleichen oder ihn als optional "
                              "markieren."},
    },
    "clients.endpoint_unrecognised": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Configured value is not a recognisable endpoint", "summary": _CONFIG_SUMMARY_EN,
               "remediation": "Re-point this value by hand; umzug rewrites only values it can parse."},
        "de": {"title": "Konfigurierter Wert ist kein erkennbarer Endpunkt", "summary": _CONFIG_SUMMARY_DE,
               "remediation": "Diesen Wert von Hand umstellen; umzug schreibt nur Werte um, die es lesen kann."},
    },
    "clients.replacement_unencodable": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "New endpoint cannot be written in the file's encoding", "summary": _CONFIG_SUMMARY_EN,
               "remediation": "Re-point this value by hand, or choose a new name the client's encoding can hold."},
        "de": {"title": "Neuer Endpunkt lässt sich in der Kodierung der Datei nicht schreiben",
               "summary": _CONFIG_SUMMARY_DE,
               "remediation": "Diesen Wert von Hand umstellen oder einen neuen Namen wählen, den die Kodierung "
                              "des Clients darstellen kann."},
    },
    "clients.config_missing": {
        "payload": "clients", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Client configuration file is missing",
               "summary": "{fachverfahren} ({profile}) is installed, but {path} does not exist",
               "remediation": "Check the installation, or mark the file optional in the client profile."},
        "de": {"title": "Konfigurationsdatei des Clients fehlt",
               "summary": "{fachverfahren} ({profile}) ist installiert, aber {path} existiert nicht",
               "remediation": "Die Installation prüfen oder die Datei im Client-Profil als optional markieren."},
    },
    "clients.profile_invalid": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Client profile is invalid", "summary": "{profile}: {message}",
               "remediation": "Correct the client profile."},
        "de": {"title": "Client-Profil ist ungültig", "summary": "{profile}: {message}",
               "remediation": "Das Client-Profil berichtigen."},
    },
    "clients.unmanaged_reference": {
        "payload": "clients", "severity": "medium", "inhibitor": False, "remediation": "hint",
        "en": {"title": "File outside the client profiles names an old server",
               "summary": "{path}: line(s) {lines} name an old server, e.g. {first}",
               "remediation": "Add a client profile for this file, or re-point it by hand."},
        "de": {"title": "Datei außerhalb der Client-Profile nennt einen alten Server",
               "summary": "{path}: Zeile(n) {lines} nennen einen alten Server, z. B. {first}",
               "remediation": "Ein Client-Profil für diese Datei anlegen oder sie von Hand umstellen."},
    },
    "clients.probe_failed": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": {"after": "Client probe failed after re-pointing",
                         "before": "Client probe of the RZ endpoint failed (before re-pointing)"},
               "summary": "{name}: {kind} probe of {target} failed: {detail}",
               "remediation": "Check that the RZ service answers and the mapping is right; the client is rolled "
                              "back unless clients_rollback_on_failure is false."},
        "de": {"title": {"after": "Client-Test nach dem Umstellen fehlgeschlagen",
                         "before": "Client-Test gegen den RZ-Endpunkt fehlgeschlagen (vor dem Umstellen)"},
               "summary": "{name}: {kind}-Test von {target} fehlgeschlagen: {detail}",
               "remediation": "Prüfen, ob der RZ-Dienst antwortet und die Zuordnung stimmt; der Client wird "
                              "zurückgesetzt, außer clients_rollback_on_failure ist false."},
    },
    "clients.pinned_certificate_changed": {
        "payload": "clients", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Pinned certificate thumbprint differs from the RZ service's",
               "summary": "{name} pins {pinned}; {target} presents SHA-1 {sha1} / SHA-256 {sha256}",
               "remediation": "Set the pinned thumbprint to {thumbprint} (SHA-1, as Windows shows it) after "
                              "checking it with the RZ."},
        "de": {"title": "Fest hinterlegter Zertifikats-Fingerabdruck weicht von dem des RZ-Dienstes ab",
               "summary": "{name} erwartet {pinned}; {target} zeigt SHA-1 {sha1} / SHA-256 {sha256}",
               "remediation": "Den hinterlegten Fingerabdruck auf {thumbprint} setzen (SHA-1, wie Windows ihn "
                              "anzeigt), nachdem er mit dem RZ abgeglichen ist."},
    },
    # ------------------------------------------------------------------------------- wave
    "wave.source_unsupported": {
        "payload": "wave", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Steps of the Welle not yet supported for {kind} sources",
               "summary": "not yet supported for {kind} sources: {steps:, }. {kommune} is a {kind} Kommune in the "
                          "plan {plan}: umzug reaches its DC and file servers only over SMB 3, LDAPS and DRSUAPI, "
                          "and these steps still need SSH to them. A phase with one of them stops the Kommune "
                          "before anything changes.",
               "remediation": "Leave the Kommune out of the Welle's cut-over until umzug carries these steps for "
                              "{kind} sources (docs/wave.md, Windows sources)."},
        "de": {"title": "Schritte der Welle für {kind}-Quellen noch nicht unterstützt",
               "summary": "Für {kind}-Quellen noch nicht unterstützt: {steps:, }. {kommune} ist im Plan {plan} "
                          "eine Kommune der Art {kind}: umzug erreicht ihren DC und ihre Dateiserver nur über "
                          "SMB 3, LDAPS und DRSUAPI, und diese Schritte brauchen noch SSH zu ihnen. Eine Phase mit "
                          "einem davon hält die Kommune an, bevor sich etwas ändert.",
               "remediation": "Die Kommune aus der Umstellung der Welle herausnehmen, bis umzug diese Schritte für "
                              "{kind}-Quellen beherrscht (docs/wave.md, Windows sources)."},
    },
    "wave.gate_closed": {
        "payload": "wave", "severity": "high", "inhibitor": True, "remediation": None,
        "en": {"title": "Cut-over blocked for {kommune}", "summary": "Reasons: {reasons}"},
        "de": {"title": "Umstellung für {kommune} gesperrt", "summary": "Gründe: {reasons}"},
    },
    "wave.gate_open": {
        "payload": "wave", "severity": "info", "inhibitor": False, "remediation": None,
        "en": {"title": "Cut-over allowed for {kommune}", "summary": "Verdict {verdict}"},
        "de": {"title": "Umstellung für {kommune} freigegeben", "summary": "Votum {verdict}"},
    },
    # The Kommune's agreed window (plugins/plugin_utils/wave/window.py): the gate refuses a cut-over
    # outside it, unless wave_window_override gives the reason (then it is recorded).
    "wave.window_closed": {
        "payload": "wave", "severity": "high", "inhibitor": False, "remediation": "hint",
        "en": {"title": "Cut-over of {kommune} refused outside its window",
               "summary": "Cut-over of {kommune} refused: its window is {start} to {end} ({timezone}), it is now "
                          "{now}.",
               "remediation": "Run the cut-over inside the window, or give the reason for running it outside as "
                              "wave_window_override (docs/wave.md, The window)."},
        "de": {"title": "Umstellung von {kommune} außerhalb ihres Fensters abgelehnt",
               "summary": "Umstellung von {kommune} abgelehnt: ihr Fenster ist {start} bis {end} ({timezone}), "
                          "jetzt ist es {now}.",
               "remediation": "Die Umstellung im Fenster starten, oder den Grund für eine Umstellung außerhalb "
                              "als wave_window_override angeben (docs/wave.md, The window)."},
    },
    "wave.window_override": {
        "payload": "wave", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "Cut-over of {kommune} outside its window, by override",
               "summary": "Its window is {start} to {end} ({timezone}), the cut-over began {now}; override by "
                          "{by}: {reason}"},
        "de": {"title": "Umstellung von {kommune} außerhalb ihres Fensters, per Übersteuerung",
               "summary": "Ihr Fenster ist {start} bis {end} ({timezone}), die Umstellung begann {now}; "
                          "übersteuert von {by}: {reason}"},
    },
    # The dry run's estimate (plugins/plugin_utils/wave/estimate.py): the final pass and the other
    # cut-over steps take longer than the Kommune's window.
    "wave.window_too_short": {
        "payload": "wave", "severity": "high", "inhibitor": True, "remediation": "hint",
        "en": {"title": "Cut-over of {kommune} does not fit its window",
               "summary": "The estimated cut-over takes {needed} (final pass {final_sync} after a typical day's "
                          "changes, other steps {steps}), its window {start} to {end} ({timezone}) is {window} "
                          "long.",
               "remediation": "Agree a longer window with the Kommune, make the final pass shorter (a limit that "
                              "leaves more of the link in the window, fewer changes since the last pass), or "
                              "waive the finding with the reason (docs/wave.md, Estimates)."},
        "de": {"title": "Umstellung von {kommune} passt nicht in ihr Fenster",
               "summary": "Die geschätzte Umstellung dauert {needed} (letzter Kopierlauf {final_sync} nach den "
                          "Änderungen eines typischen Tages, übrige Schritte {steps}), ihr Fenster {start} bis "
                          "{end} ({timezone}) ist {window} lang.",
               "remediation": "Ein längeres Fenster mit der Kommune vereinbaren, den letzten Kopierlauf "
                              "verkürzen (ein Limit, das im Fenster mehr von der Leitung lässt, weniger Änderungen "
                              "seit dem letzten Lauf) oder den Befund mit Begründung per Ausnahme akzeptieren "
                              "(docs/wave.md, Estimates)."},
    },
    "wave.rolled_back": {
        "payload": "wave", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "{kommune} rolled back",
               "summary": {"purge": "Rolled back: {steps}. Accounts created in the RZ were removed.",
                           "keep": "Rolled back: {steps}. Data and accounts in the RZ are kept for the next "
                                   "attempt."}},
        "de": {"title": "{kommune} zurückgerollt",
               "summary": {"purge": "Zurückgerollt: {steps}. Im RZ angelegte Konten wurden entfernt.",
                           "keep": "Zurückgerollt: {steps}. Daten und Konten im RZ bleiben für den nächsten "
                                   "Versuch erhalten."}},
    },
    "wave.accepted": {
        "payload": "wave", "severity": "info", "inhibitor": False, "remediation": None,
        "en": {"title": "{kommune} accepted by {by}",
               "summary": {"plain": "Abnahme of {report} (sha256 {sha256}); no rollback after this point.",
                           "waived": "Abnahme of {report} (sha256 {sha256}); no rollback after this point. "
                                     "Accepted risks of the cut-over (waived): {waived}."}},
        "de": {"title": "Abnahme von {kommune} durch {by}",
               "summary": {"plain": "Abnahme von {report} (sha256 {sha256}); ab jetzt kein Rollback mehr.",
                           "waived": "Abnahme von {report} (sha256 {sha256}); ab jetzt kein Rollback mehr. "
                                     "Akzeptierte Risiken der Umstellung (per Ausnahme): {waived}."}},
    },
    "wave.acceptance_passed": {
        "payload": "wave", "severity": "info", "inhibitor": False, "remediation": None,
        "en": {"title": "Acceptance suite passed for {kommune}", "summary": "{details:; }"},
        "de": {"title": "Abnahmetests für {kommune} bestanden", "summary": "{details:; }"},
    },
    "wave.acceptance_failed": {
        "payload": "wave", "severity": "high", "inhibitor": True, "remediation": None,
        "en": {"title": "Acceptance suite failed for {kommune}", "summary": "{details:; }"},
        "de": {"title": "Abnahmetests für {kommune} fehlgeschlagen", "summary": "{details:; }"},
    },
    "wave.acceptance_missing": {
        "payload": "wave", "severity": "high", "inhibitor": True, "remediation": None,
        "en": {"title": "Acceptance suite not found for {kommune}", "summary": "{details:; }"},
        "de": {"title": "Abnahmetests für {kommune} nicht gefunden", "summary": "{details:; }"},
    },
    # ----------------------------------------------------------------------------- report
    "report.waiver_expired": {
        "payload": "report", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "Waiver for {waived_key} expired on {expires}",
               "summary": "{owner} accepted {waived_key}{scope}: {reason}. The finding counts again until the "
                          "waiver is renewed or the cause fixed."},
        "de": {"title": "Ausnahme für {waived_key} am {expires} abgelaufen",
               "summary": "{owner} hat {waived_key}{scope} akzeptiert: {reason}. Der Befund zählt wieder, bis die "
                          "Ausnahme verlängert oder die Ursache behoben ist."},
    },
    "report.waiver_file_invalid": {
        "payload": "report", "severity": "high", "inhibitor": True, "remediation": None,
        "en": {"title": "Waiver file cannot be used",
               "summary": "{path}: {error}. No risk counts as accepted until it is fixed."},
        "de": {"title": "Ausnahmedatei nicht verwendbar",
               "summary": "{path}: {error}. Bis sie korrigiert ist, gilt kein Risiko als akzeptiert."},
    },
    "report.invalid_finding": {
        "payload": "report", "severity": "medium", "inhibitor": False, "remediation": None,
        "en": {"title": "A task returned a finding the report cannot read", "summary": "{error}"},
        "de": {"title": "Ein Task lieferte einen Befund, den der Bericht nicht lesen kann", "summary": "{error}"},
    },
}
