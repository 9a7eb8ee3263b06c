# Deployment files (deploy/): checked without a Docker engine or a cluster (docs/DEPLOYMENT.md).
# Plain `python3` (with PyYAML, scripts/install-deps.sh), not find_package: the Dockerfile's build
# stage configures this tree without Python.
add_test(NAME deploy.check
  COMMAND python3 ${PROJECT_SOURCE_DIR}/deploy/check.py --syndicate $<TARGET_FILE:syndicate>)
set_tests_properties(deploy.check PROPERTIES LABELS unit TIMEOUT 120)
add_test(NAME deploy.check_rejects_broken_files
  COMMAND python3 ${PROJECT_SOURCE_DIR}/deploy/tests/check_broken.py $<TARGET_FILE:syndicate>)
set_tests_properties(deploy.check_rejects_broken_files PROPERTIES LABELS unit TIMEOUT 600)
# Every manifest of deploy/k8s against the Kubernetes schemas (kubernetes-validate, offline).
add_test(NAME deploy.k8s_validate COMMAND bash ${PROJECT_SOURCE_DIR}/deploy/tests/k8s_validate.sh)
set_tests_properties(deploy.k8s_validate PROPERTIES LABELS unit TIMEOUT 120)
