def dsoftmax_xent(logits, labels, dresult=1.0):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    exp_shifted = np.exp(shifted)
    sum_exp_shifted = np.sum(exp_shifted, axis=1, keepdims=True)
    log_probs = shifted - np.log(sum_exp_shifted)
    labels_mul_log_probs = labels * log_probs
    # Grad of: return -np.mean(np.sum(labels * log_probs, axis=1))
    dlog_probs = unbroadcast(unreduce(mean_grad(-dresult, np.sum(labels_mul_log_probs, axis=1)), labels_mul_log_probs, 1) * labels, log_probs)
    # Grad of: log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dshifted = unbroadcast(dlog_probs, shifted) + unreduce(unbroadcast(-dlog_probs / sum_exp_shifted, sum_exp_shifted), exp_shifted, 1, keepdims=True) * exp_shifted
    # Grad of: shifted = logits - np.max(logits, axis=1, keepdims=True)
    dlogits = unbroadcast(dshifted, logits)
    return dlogits
