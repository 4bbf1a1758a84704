window.addEventListener('load',function(){
  var imgs=document.images,ok=0;
  for(var i=0;i<imgs.length;i++){
    if(imgs[i].complete&&imgs[i].naturalWidth>0){ok++;}else{imgs[i].classList.add('broken');}
  }
  document.documentElement.setAttribute('data-images-total',imgs.length);
  document.documentElement.setAttribute('data-images-loaded',ok);
});
