"""Drives `stepwise lsp` through pytest-lsp, a client none of us wrote, and writes each
reply as JSON for the Rust test (server/tests/lsp.rs) to snapshot.

STEPWISE_BIN is the binary, STEPWISE_LSP_FLOWS a copy of fixtures/lsp/flows the tests may
change, STEPWISE_LSP_OUT where the replies go.
"""

import asyncio
import json
import os
import pathlib
from urllib.parse import quote

import pytest
import pytest_lsp
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

BIN = os.environ["STEPWISE_BIN"]
FLOWS = pathlib.Path(os.environ["STEPWISE_LSP_FLOWS"])
OUT = pathlib.Path(os.environ["STEPWISE_LSP_OUT"])
CONVERTER = get_converter()


def uri(path: pathlib.Path) -> str:
    return "file://" + quote(str(path))


def record(name: str, value) -> None:
    """Writes a reply with the flows directory's place replaced by `file:///flows`."""
    data = CONVERTER.unstructure(value)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    text = text.replace(uri(FLOWS), "file:///flows").replace(str(FLOWS), "/flows")
    (OUT / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def position(text: str, needle: str, into: int = 0) -> types.Position:
    """The position `into` characters into the first `needle`, in UTF-16 units."""
    offset = text.index(needle) + into
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    character = len(text[start:offset].encode("utf-16-le")) // 2
    return types.Position(line=line, character=character)


def covered(text: str, range_: types.Range) -> str:
    """The text a range covers, counting UTF-16 units as the protocol does."""
    lines = text.split("\n")
    assert range_.start.line == range_.end.line
    units = lines[range_.start.line].encode("utf-16-le")
    return units[range_.start.character * 2 : range_.end.character * 2].decode("utf-16-le")


def offset(text: str, pos: types.Position) -> int:
    """The string index of a protocol position."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: pos.line])
    units = lines[pos.line].encode("utf-16-le")[: pos.character * 2]
    return start + len(units.decode("utf-16-le"))


def applied(text: str, edits) -> str:
    """The text with a document's edits made, last first."""
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(text, edit.range.start)] + edit.new_text + text[offset(text, edit.range.end) :]
    return text


def read(name: str) -> str:
    return (FLOWS / name).read_text(encoding="utf-8")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BIN, "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=uri(FLOWS),
        )
    )
    yield
    await lsp_client.shutdown_session()


async def open_doc(client: LanguageClient, name: str, text: str | None = None) -> str:
    path = FLOWS / name
    text = read(name) if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="stepwise-flow", version=1, text=text
            )
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    # Every file of the directory is published in one batch; let it arrive.
    await asyncio.sleep(0.2)
    return uri(path)


def at(doc: str, pos: types.Position) -> dict:
    """The document and position every positional request names."""
    return {"text_document": types.TextDocumentIdentifier(uri=doc), "position": pos}


def diagnostics_of(client: LanguageClient) -> dict:
    return {
        u: CONVERTER.unstructure(d)
        for u, d in sorted(client.diagnostics.items())
        if u.startswith(uri(FLOWS))
    }


# An unsaved edit: the target on the line with an emoji now names no node.
TYPO = read("card-lost.ron").replace('label: "At home 🏠", goto: "block"', 'label: "At home 🏠", goto: "blok"')


async def test_unsaved_edit_is_checked_with_utf16_ranges(client: LanguageClient):
    doc = await open_doc(client, "card-lost.ron", TYPO)
    found = client.diagnostics[doc]
    assert [d.code for d in found] == ["unknown-target"]
    # The emoji before it counts two UTF-16 units: the range still covers the string.
    assert covered(TYPO, found[0].range) == '"blok"'
    record("diagnostics_unsaved_edit", found)


async def test_accented_line_range(client: LanguageClient):
    text = read("card-lost.ron").replace(
        'label: "À l\'étranger ✈️", goto: "route"', 'label: "À l\'étranger ✈️", goto: "rute"'
    )
    doc = await open_doc(client, "card-lost.ron", text)
    found = client.diagnostics[doc]
    assert covered(text, found[0].range) == '"rute"'
    record("diagnostics_accented_line", found)


async def test_renamed_flow_breaks_the_link_elsewhere(client: LanguageClient):
    await open_doc(client, "card-lost.ron")
    text = read("secure-account.ron").replace('"help": Escalate', '"helpdesk": Escalate').replace(
        'otherwise: "help"', 'otherwise: "helpdesk"'
    ).replace('id: "secure-account"', 'id: "secure"')
    await open_doc(client, "secure-account.ron", text)
    record("diagnostics_cross_file", diagnostics_of(client))
    assert client.diagnostics[uri(FLOWS / "card-lost.ron")], "the link breaks in card-lost"


async def test_scenario_and_translation_files_are_checked(client: LanguageClient):
    scenarios = read("card-lost.scenarios.ron").replace('"block=yes"', '"block=maybe"')
    sdoc = await open_doc(client, "card-lost.scenarios.ron", scenarios)
    found = client.diagnostics[sdoc]
    assert [(d.code, covered(scenarios, d.range)) for d in found] == [
        ("answer-not-offered", '"block=maybe"')
    ]
    translation = read("card-lost.de.ron").replace('"block": (', '"blok": (')
    tdoc = await open_doc(client, "card-lost.de.ron", translation)
    record(
        "diagnostics_scenarios_and_translations",
        {"scenarios": found, "translation": client.diagnostics[tdoc]},
    )


async def test_fixing_the_edit_clears_its_diagnostics(client: LanguageClient):
    doc = await open_doc(client, "card-lost.ron", TYPO)
    assert client.diagnostics[doc]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=read("card-lost.ron"))],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[doc]) == []


async def test_definition(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    target = await client.text_document_definition_async(
        types.DefinitionParams(**(at(doc, position(text, 'otherwise: "support"', 13))))
    )
    link = await client.text_document_definition_async(
        types.DefinitionParams(**(at(doc, position(text, '"secure-account"', 3))))
    )
    scenarios = read("card-lost.scenarios.ron")
    sdoc = await open_doc(client, "card-lost.scenarios.ron")
    answer = await client.text_document_definition_async(
        types.DefinitionParams(**(at(sdoc, position(scenarios, '"abroad"', 2))))
    )
    translation = read("card-lost.de.ron")
    tdoc = await open_doc(client, "card-lost.de.ron")
    source_text = await client.text_document_definition_async(
        types.DefinitionParams(**(at(tdoc, position(translation, '"block": (', 2))))
    )
    record(
        "definition",
        {
            "target": CONVERTER.unstructure(target),
            "link": CONVERTER.unstructure(link),
            "scenario_answer": CONVERTER.unstructure(answer),
            "translation_entry": CONVERTER.unstructure(source_text),
        },
    )


async def test_references(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    found = await client.text_document_references_async(
        types.ReferenceParams(
            **(at(doc, position(text, '"block": Remedy', 2))),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    record("references_of_a_node", found)


async def test_rename_node(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(**(at(doc, position(text, '"block": Remedy', 2))))
    )
    edit = await client.text_document_rename_async(
        types.RenameParams(**(at(doc, position(text, '"block": Remedy', 2))), new_name="block-card")
    )
    record("rename_node", {"prepare": CONVERTER.unstructure(prepared), "edit": CONVERTER.unstructure(edit)})


async def test_rename_flow_renames_its_files(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    edit = await client.text_document_rename_async(
        types.RenameParams(**(at(doc, position(text, 'id: "card-lost"', 6))), new_name="card-missing")
    )
    record("rename_flow", edit)


async def test_rename_answer_follows_scenarios_and_translations(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    edit = await client.text_document_rename_async(
        types.RenameParams(**(at(doc, position(text, 'id: "abroad"', 6))), new_name="overseas")
    )
    # The answer's id, the scenario that gives it, and its translation.
    files = {c.text_document.uri.rsplit("/", 1)[1]: [e.new_text for e in c.edits] for c in edit.document_changes}
    assert files == {
        "card-lost.ron": ['"overseas"'],
        "card-lost.de.ron": ['"overseas"'],
        "card-lost.scenarios.ron": ['"overseas"'],
    }, files
    record("rename_answer", edit)


async def test_rename_to_a_taken_id_is_refused(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    with pytest.raises(Exception) as refused:
        await client.text_document_rename_async(
            types.RenameParams(**(at(doc, position(text, '"block": Remedy', 2))), new_name="support")
        )
    record("rename_taken", {"error": type(refused.value).__name__, "message": str(refused.value)})


async def test_completion(client: LanguageClient):
    base = read("card-lost.ron")
    replies = {}
    cases = {
        # The editor closes the quote as it is typed; the cursor stands between.
        "target": ('otherwise: "support"', 'otherwise: ""', 12),
        "flow": ('Link(flow: "secure-account")', 'Link(flow: "")', 12),
        "fact": ('fact: "platform"', 'fact: ""', 7),
        "case_value": ('cases: {"app": "block"}', 'cases: {"": "block"}', 9),
        "node_kind": ('"secure": Link(flow: "secure-account")', '"secure": ', 10),
        "field": ('"block": Remedy(\n            text:', '"block": Remedy(\n            ', 29),
        "input_field": ('inputs: ["platform"]', "inputs: [()]", 10),
    }
    for name, (written, typed, into) in cases.items():
        text = base.replace(written, typed, 1)
        doc = await open_doc(client, "card-lost.ron", text)
        reply = await client.text_document_completion_async(
            types.CompletionParams(**(at(doc, position(text, typed, into))))
        )
        replies[name] = CONVERTER.unstructure(reply)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
        )
    record("completion", replies)


async def test_hover(client: LanguageClient):
    text = read("card-lost.ron")
    doc = await open_doc(client, "card-lost.ron")
    target = await client.text_document_hover_async(
        types.HoverParams(**(at(doc, position(text, 'goto: "block"', 8))))
    )
    fact = await client.text_document_hover_async(
        types.HoverParams(**(at(doc, position(text, 'fact: "platform"', 8))))
    )
    record("hover", {"target": CONVERTER.unstructure(target), "fact": CONVERTER.unstructure(fact)})


async def test_code_actions(client: LanguageClient):
    doc = await open_doc(client, "card-lost.ron", TYPO)
    found = client.diagnostics[doc]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            range=found[0].range,
            context=types.CodeActionContext(diagnostics=found),
        )
    )
    titles = [a.title for a in actions]
    assert titles[0] == "Change to `block`", titles
    record("code_actions", actions)
    # Every fix, once made, leaves a flow that passes its checks.
    for number, action in enumerate(actions):
        (change,) = action.edit.document_changes
        fixed = applied(TYPO, change.edits)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=10 + number),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
            )
        )
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        await asyncio.sleep(0.1)
        assert list(client.diagnostics[doc]) == [], (action.title, client.diagnostics[doc])


async def test_document_symbols_and_code_lenses(client: LanguageClient):
    doc = await open_doc(client, "card-lost.ron")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    record("document_symbols", symbols)
    record("code_lenses", lenses)


async def test_very_long_line_and_hostile_ids(client: LanguageClient):
    # One line of 200,000 characters, emoji among them, with a bad target at its end.
    long_text = "Block it 🔒 " * 20_000
    text = read("card-lost.ron").replace(
        'text: "Block the card in the app: **Cards → Block**.",\n            otherwise: "support",',
        f'text: "{long_text}", otherwise: "suport",',
    )
    assert len(max(text.split("\n"), key=len)) > 200_000
    doc = await open_doc(client, "card-lost.ron", text)
    found = client.diagnostics[doc]
    # The typo, and the node nothing leads to any more.
    assert [(d.code, covered(text, d.range)) for d in found] == [
        ("unknown-target", '"suport"'),
        ("unreachable-node", '"support"'),
    ]
    hover = await client.text_document_hover_async(
        types.HoverParams(**(at(doc, position(text, 'goto: "block"', 8))))
    )
    assert hover.contents.value.startswith("**Remedy** `block`")
    refused = {}
    for name in ["\u202eevil", "a b", "", "x\u200by"]:
        with pytest.raises(Exception) as error:
            await client.text_document_rename_async(
                types.RenameParams(**(at(doc, position(text, '"block": Remedy', 2))), new_name=name)
            )
        refused[repr(name)] = str(error.value)
    record(
        "hostile_input",
        {
            "diagnostics": [
                {"code": d.code, "range": CONVERTER.unstructure(d.range)} for d in found
            ],
            "hover_chars": len(hover.contents.value),
            "renames_refused": refused,
        },
    )


async def test_malformed_message_gets_a_parse_error(client: LanguageClient):
    errors = []
    protocol = client.protocol
    handle = protocol._handle_response

    def spy(msg_id, result=None, error=None):
        if msg_id is None:
            errors.append(CONVERTER.unstructure(error))
            return None
        return handle(msg_id, result, error)

    protocol._handle_response = spy
    body = b'{"jsonrpc": "2.0", "id": 7, "method": '
    protocol.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    # The server still answers what comes next.
    doc = await open_doc(client, "card-lost.ron")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    assert symbols
    assert errors, "a parse error came back"
    record("error_malformed_message", errors)


async def test_unknown_method_gets_method_not_found(client: LanguageClient):
    with pytest.raises(Exception) as refused:
        await client.protocol.send_request_async("stepwise/unknown", {})
    record("error_unknown_method", {"error": type(refused.value).__name__, "message": str(refused.value)})


async def test_document_outside_a_flows_directory(client: LanguageClient, tmp_path):
    replies = {}
    # Not a flow file at all, and scenarios with no flow beside them.
    for name in ["notes.md", "orphan.scenarios.ron"]:
        outside = uri(tmp_path / name)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=outside, language_id="stepwise-flow", version=1, text="(")
            )
        )
        with pytest.raises(Exception) as refused:
            await client.text_document_hover_async(
                types.HoverParams(**(at(outside, types.Position(line=0, character=0))))
            )
        replies[name] = str(refused.value).replace(str(tmp_path), "/tmp")
    replies["logged"] = [m.message.replace(str(tmp_path), "/tmp") for m in client.log_messages]
    record("error_outside_flows", replies)


async def test_five_megabyte_document(client: LanguageClient):
    line = '        "n": Done(text: "' + "é" * 100 + '"),\n'
    text = read("card-lost.ron") + "// " + line * (5 * 1024 * 1024 // len(line.encode()))
    assert len(text.encode()) > 5_000_000
    doc = await open_doc(client, "card-lost.ron", text)
    found = client.diagnostics[doc]
    with pytest.raises(Exception) as refused:
        await client.text_document_hover_async(
            types.HoverParams(**(at(doc, types.Position(line=3, character=10))))
        )
    record(
        "error_five_megabytes",
        {
            "diagnostics": CONVERTER.unstructure(found),
            "hover": str(refused.value).replace(str(FLOWS), "/flows"),
        },
    )
