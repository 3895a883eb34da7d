// Starts `stepwise lsp` for the flow files of the workspace and stops it with the editor.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("stepwise").get("path") || "stepwise";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "stepwise",
    "stepwise",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "stepwise-flow" }],
      // Scenario and translation files are read from disk; tell the server when they change.
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.ron"),
      },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
