{
  "targets": [
    {
      "target_name": "ambit_sockets",
      "sources": ["native/common.cc", "native/sockets.cc", "native/seqpacket.cc", "native/poller.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
