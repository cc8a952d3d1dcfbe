/** DNS-1123 rules as the Kubernetes API server applies them (k8s.io/apimachinery/pkg/util/validation). */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * An image reference: [registry[:port]/]path[:tag][@digest], after the grammar of
 * github.com/distribution/reference (reference.go). The lab demands a tag or a digest so every
 * run pulls the same bits.
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
export const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);


export function isPinnedImage(ref: string): boolean {
  if (!IMAGE_REFERENCE.test(ref)) return false;
  // A ":" inside the registry host (localhost:5000/app) is a port, not a tag.
  const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
  return ref.includes("@") || lastSegment.includes(":");
}
