# Sourced by .ci/run and scripts/demo.sh before `npm ci`. node-gyp builds the native addon in
# packages/sockets against Node's headers; without a nodedir it downloads them from nodejs.org
# (a download a fresh CI machine must not need, and one that fails offline). Node installs from
# NodeSource, the official tarballs and nvm ship the headers next to the binary
# (<prefix>/include/node), so point node-gyp there unless the caller already chose a nodedir.
if [ -z "${npm_config_nodedir:-}" ]; then
  ambit_node_prefix="$(node -p 'require("node:path").resolve(process.execPath, "..", "..")')"
  if [ -f "$ambit_node_prefix/include/node/node.h" ] && [ -f "$ambit_node_prefix/include/node/common.gypi" ]; then
    export npm_config_nodedir="$ambit_node_prefix"
  else
    echo "ambit: no Node.js headers under $ambit_node_prefix/include/node;" \
      "node-gyp will download them from nodejs.org to build packages/sockets" >&2
  fi
  unset ambit_node_prefix
fi
