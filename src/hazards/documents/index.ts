/** A hazard's PDF documents (隐患整改通知书, 整改复查意见书, 治理方案): rendering, keeping, sending. */
export { type DocumentSettings, issueDocumentsAfter, issueRectificationNotice, storeGovernancePlan } from './issue.js';
export { warmDocumentFonts } from './pdf.js';
export {
  DOCUMENT_TITLES,
  type GovernancePlanInput,
  renderGovernancePlanPdf,
  renderRectificationNoticePdf,
  renderReviewOpinionPdf,
} from './render.js';
export { listDocuments, loadAttachment, loadDocument, type StoredDocument } from './store.js';
