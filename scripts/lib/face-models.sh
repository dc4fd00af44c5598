# Sourced by scripts/setup and scripts/package: the pinned npm tarball the face models come from.
# faceplugin-face-recognition-js@0.0.1 (MIT); only the models face/ uses are taken from it.
face_pkg="faceplugin-face-recognition-js@0.0.1"
face_tgz="faceplugin-face-recognition-js-0.0.1.tgz"
face_tgz_sha256="7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba"
face_models=(fr_detect.onnx fr_feature.onnx fr_landmark.onnx fr_liveness.onnx fr_eye.onnx)
face_npm_dir="${TTA_NPM_DIR:-/usr/local/share/tta/npm}"
