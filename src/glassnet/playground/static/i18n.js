// Every label of the page in English and 中文. Elements name their text with data-i18n="key"
// (text content), data-i18n-title="key" (tooltip and accessible name) or
// data-i18n-placeholder="key"; texts that come from the server arrive as text / text_zh.

const TEXTS = {
  en: {
    title: "glassnet playground",
    subtitle: "See it learn: every weight explains its own gradient.",
    language: "中文",
    train: "Train",
    pause: "Pause",
    step: "Step",
    reset: "Reset",
    export: "Export",
    code: "Code",
    close: "Close",
    epoch: "Epoch",
    step_count: "Step",
    training_loss: "Training loss",
    test_loss: "Test loss",
    data: "Data",
    dataset: "Dataset",
    ds_people: "The tutorial's people",
    ds_xor: "XOR",
    ds_circles: "Circles",
    ds_spirals: "Two spirals",
    ds_blobs: "Gaussian blobs",
    ds_regression: "Regression curve",
    ds_csv: "Your CSV file",
    classes: "Classes",
    noise: "Noise",
    test_ratio: "Test data",
    seed: "Seed",
    csv_target: "Target column",
    csv_file: "CSV file",
    csv_rows: "rows",
    csv_features: "Plotted features",
    csv_median: "Features not plotted are held at their training median in the picture.",
    network: "Network",
    hidden_layers: "hidden layers",
    add_layer: "Add a layer",
    remove_layer: "Remove a layer",
    add_unit: "Add a unit",
    remove_unit: "Remove a unit",
    activation: "Activation",
    learning_rate: "Learning rate",
    optimizer: "Optimizer",
    batch_size: "Batch size",
    batch_hint: "0 or all = the whole training set",
    regularization: "Regularisation",
    regularization_rate: "Regularisation rate",
    none: "none",
    output: "Output",
    boundary_label: "Decision boundary and data",
    surface_label: "Regression surface and data",
    train_points: "training points: white ring; test points: dark ring",
    loss_chart: "Loss",
    diagnosis: "Diagnosis",
    diagnosis_empty: "Nothing to report.",
    explanation: "Explanation",
    explain_hint: "Click a weight (a line) to see its gradient as the chain rule, with numbers; click a neuron to see its forward computation for the chosen sample.",
    sample: "Sample",
    walkthrough: "One sample",
    walk_next: "Next step",
    walk_previous: "Previous step",
    walk_stop: "End walkthrough",
    walk_forward: "forward",
    walk_loss: "loss",
    walk_backward: "backward",
    weight_heading: "Weight",
    neuron_heading: "Neuron",
    gradient: "gradient",
    update: "the update the next Step applies",
    update_other: "the update the next Step applies (computed by the optimizer on a copy)",
    batch_rows: "on the batch the next Step uses",
    rows: "rows",
    input_unit: "input",
    code_title: "The glassnet Python that builds and trains this network",
    export_safetensors: "glassnet model (.safetensors)",
    export_onnx: "ONNX model (.onnx)",
    error_prefix: "Error:",
    connecting: "Connecting to the server…",
    point_label: "label",
  },
  zh: {
    title: "glassnet 游乐场",
    subtitle: "看它学习：每个权重都解释自己的梯度。",
    language: "English",
    train: "训练",
    pause: "暂停",
    step: "单步",
    reset: "重置",
    export: "导出",
    code: "代码",
    close: "关闭",
    epoch: "轮次",
    step_count: "步数",
    training_loss: "训练损失",
    test_loss: "测试损失",
    data: "数据",
    dataset: "数据集",
    ds_people: "教程里的人",
    ds_xor: "异或 (XOR)",
    ds_circles: "同心圆",
    ds_spirals: "双螺旋",
    ds_blobs: "高斯团",
    ds_regression: "回归曲线",
    ds_csv: "你的 CSV 文件",
    classes: "类别数",
    noise: "噪声",
    test_ratio: "测试数据比例",
    seed: "随机种子",
    csv_target: "目标列",
    csv_file: "CSV 文件",
    csv_rows: "行",
    csv_features: "绘制的特征",
    csv_median: "图中未绘制的特征固定为其训练集中位数。",
    network: "网络",
    hidden_layers: "个隐藏层",
    add_layer: "增加一层",
    remove_layer: "删除一层",
    add_unit: "增加一个神经元",
    remove_unit: "删除一个神经元",
    activation: "激活函数",
    learning_rate: "学习率",
    optimizer: "优化器",
    batch_size: "批大小",
    batch_hint: "0 或 all = 整个训练集",
    regularization: "正则化",
    regularization_rate: "正则化率",
    none: "无",
    output: "输出",
    boundary_label: "决策边界与数据",
    surface_label: "回归曲面与数据",
    train_points: "训练点：白色边框；测试点：深色边框",
    loss_chart: "损失",
    diagnosis: "诊断",
    diagnosis_empty: "没有发现问题。",
    explanation: "解释",
    explain_hint: "点击一个权重（连线），查看它的梯度如何由链式法则算出（带数字）；点击一个神经元，查看它对所选样本的前向计算。",
    sample: "样本",
    walkthrough: "单个样本",
    walk_next: "下一步",
    walk_previous: "上一步",
    walk_stop: "结束演示",
    walk_forward: "前向",
    walk_loss: "损失",
    walk_backward: "反向",
    weight_heading: "权重",
    neuron_heading: "神经元",
    gradient: "梯度",
    update: "下一次单步将执行的更新",
    update_other: "下一次单步将执行的更新（由优化器在副本上计算）",
    batch_rows: "基于下一次单步所用的批次",
    rows: "行",
    input_unit: "输入",
    code_title: "构建并训练此网络的 glassnet Python 代码",
    export_safetensors: "glassnet 模型 (.safetensors)",
    export_onnx: "ONNX 模型 (.onnx)",
    error_prefix: "错误：",
    connecting: "正在连接服务器…",
    point_label: "标签",
  },
};

let language = "en";

export function currentLanguage() {
  return language;
}

export function t(key) {
  return TEXTS[language][key] ?? TEXTS.en[key] ?? key;
}

// The server's texts come in pairs: {text, text_zh} or {message, message_zh}.
export function pick(english, chinese) {
  return language === "zh" && chinese ? chinese : english;
}

export function setLanguage(next) {
  language = next === "zh" ? "zh" : "en";
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle);
    element.setAttribute("aria-label", t(element.dataset.i18nTitle));
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}
